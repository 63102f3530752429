import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `/api/docs` shows what a newcomer needs: every route, and a request-body example wherever the OpenAPI document
/// says a route takes a body.
@Suite(.timeLimit(.minutes(5))) struct DocsPageTests {
    @Test func everyRouteWithABodyShowsAnExample() async throws {
        try await Harness.with(.sqlite) { harness in
            try await harness.test { client in
                let document = try await client.send(.get, "/api/openapi.json").json
                let page = try await client.send(.get, "/api/docs")
                #expect(page.status == .ok)
                #expect(!page.text.contains("http://") && !page.text.contains("https://"), "self-contained: no external links or CDN")
                // One block per route: "<details class="route"><summary><span …>METHOD</span> <code>PATH</code>".
                var blocks: [String: String] = [:]
                for block in page.text.components(separatedBy: "<details class=\"route\">").dropFirst() {
                    guard let method = block.range(of: #"(?<=">)[A-Z]+(?=</span>)"#, options: .regularExpression),
                        let path = block.range(of: #"(?<=<code>)[^<]+(?=</code>)"#, options: .regularExpression)
                    else { continue }
                    let key = "\(block[method]) \(block[path].replacingOccurrences(of: "&amp;", with: "&"))"
                    blocks[key] = block
                }
                guard case .object(let paths)? = document["paths"] else { Issue.record("no paths"); return }
                var withBodies = 0
                for (path, item) in paths {
                    guard case .object(let operations) = item else { continue }
                    for (method, operation) in operations {
                        let key = "\(method.uppercased()) \(path)"
                        let block = blocks[key]
                        #expect(block != nil, "\(key) is not on the docs page")
                        if operation["requestBody"] != nil {
                            withBodies += 1
                            #expect(block?.contains("request-example") == true, "\(key) shows no request body example")
                        }
                    }
                }
                #expect(withBodies > 10)
                // The database-user body documents `databases` and `privileges`, with an example.
                let users = blocks["POST /v1/projects/{project_id}/instances/{instance_id}/users"] ?? ""
                #expect(users.contains("databases") && users.contains("privileges"))
            }
        }
    }
}
