@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Issue 23, finding 6: unbounded filters are a 400 naming the limit (never a 500), the CSV export alike.
@Suite(.timeLimit(.minutes(5))) struct BoundedFilterTests {
    @Test(arguments: Backends.all)
    func aThousandTagsIs400NamingTheLimit(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let repeated = (0..<1000).map { "tags=t\($0)" }.joined(separator: "&")
                let commaList = "tags=" + (0..<1000).map { "t\($0)" }.joined(separator: ",")
                for path in ["/api/v1/databases/ledgers", "/api/v1/databases/ledgers/exports"] {
                    for query in [repeated, commaList] {
                        let response = try await client.send(.get, "\(path)?\(query)", auth: admin)
                        #expect(response.status == .badRequest, "\(path)")
                        #expect(response.errorCode == "CONFIG_INVALID_REQUEST")
                        let detail = response.json["error"]?["details"]?.arrayFirst
                        #expect(detail?["field"] == "tags")
                        #expect(detail?["issue"] == "too_many")
                        #expect(detail?["limit"] == .int(Int64(QueryLimits.maxValues)))
                    }
                }
                let long = String(repeating: "x", count: 1000)
                let search = try await client.send(.get, "/api/v1/databases/ledgers?search=\(long)", auth: admin)
                #expect(search.status == .badRequest)
                #expect(search.json["error"]?["details"]?.arrayFirst?["limit"] == .int(Int64(QueryLimits.maxLength)))
                // At the limit it still works.
                let fifty = (0..<50).map { "tags=t\($0)" }.joined(separator: "&")
                #expect(try await client.send(.get, "/api/v1/databases/ledgers?\(fifty)", auth: admin).status == .ok)
                // The DBaaS surface is bounded too.
                let filter = try await client.send(.get, "/v1/projects?filter=\(String(repeating: "a", count: 2000))", auth: admin)
                #expect(filter.status == .badRequest)
            }
        }
    }
}
