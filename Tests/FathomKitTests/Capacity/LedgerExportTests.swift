@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

@Suite(.timeLimit(.minutes(5))) struct LedgerExportTests {
    @Test(arguments: Backends.all)
    func csvIsStreamedSanitisedAndFiltered(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            _ = try await AggregationTests.seed(services, ["2026-03-01": 1024])
            try await services.store.write { db in
                try await InstanceStore.setLabels(1, ["env": "prod"], on: db)
                try await db.raw(
                    """
                    INSERT INTO instance_databases (instance_id, name, is_active, first_seen_date, last_seen_date, latest_size_bytes,
                                                    latest_collected_at, created_at, updated_at)
                    VALUES (1, \(bind: "=HYPERLINK(\"http://x\",\"y\")"), \(bind: true), '2026-03-01', '2026-03-01', 2048, 0, 0, 0)
                    """
                ).run()
                // Enough rows to need several batches.
                for start in stride(from: 0, to: 2500, by: 500) {
                    let values = (start..<start + 500).map { "(1, 'db\($0)', 1, '2026-03-01', '2026-03-01', 0, 0)" }.joined(separator: ", ")
                    let bool = backend == .postgres ? values.replacingOccurrences(of: ", 1, '2026", with: ", true, '2026") : values
                    try await db.raw(SQLQueryString(
                        "INSERT INTO instance_databases (instance_id, name, is_active, first_seen_date, last_seen_date, created_at, updated_at) VALUES \(bool)"
                    )).run()
                }
            }
            try await harness.test { client in
                let viewer = try await harness.createUser("exporter", role: .viewer)
                let auth = Auth.session(try await client.login(viewer.username, "password-123"))
                let response = try await client.send(.get, "/api/v1/databases/ledgers/exports?tags=env:prod,other", auth: auth)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(response.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"database_ledger_") == true)
                let lines = response.text.split(separator: "\r\n", omittingEmptySubsequences: true)
                #expect(lines.count == 1 + 2502)
                #expect(lines.first?.hasPrefix("Database,Instance,Host,DB Type,Tags,Latest Size,Last Collected,Sync Status") == true)
                #expect(lines.contains { $0.contains(#""'=HYPERLINK(""http://x"",""y"")""#) })
                #expect(lines[1].contains(",env:prod,"))
                #expect(response.text.contains("shop,"))
                // Same filters as the ledger: nothing matches, just the header; bad filters are JSON errors.
                let none = try await client.send(.get, "/api/v1/databases/ledgers/exports?tags=env:dev", auth: auth)
                #expect(none.text.split(separator: "\r\n").count == 1)
                let bad = try await client.send(.get, "/api/v1/databases/ledgers/exports?instance_id=nope", auth: auth)
                #expect(bad.status == .badRequest)
                #expect(bad.errorCode == "CONFIG_INVALID_REQUEST")
            }
        }
    }

    @Test func cellsAreEscaped() {
        #expect(LedgerExport.escape("plain") == "plain")
        #expect(LedgerExport.escape("a,b") == "\"a,b\"")
        #expect(LedgerExport.escape("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(LedgerExport.escape("=1+1") == "'=1+1")
        #expect(LedgerExport.escape("@cmd") == "'@cmd")
        #expect(LedgerExport.escape("-2") == "'-2")
        #expect(LedgerExport.escape("+x,y") == "\"'+x,y\"")
    }
}
