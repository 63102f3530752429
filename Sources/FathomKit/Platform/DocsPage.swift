/// `/api/docs`: every route with its method, access rule and summary, grouped by tag; links to the JSON document.
enum DocsPage {
    static func render(routes: [RouteSpec]) -> String {
        let groups = Dictionary(grouping: routes, by: \.tag).sorted { $0.key < $1.key }
        var body = ""
        for (tag, specs) in groups {
            body += "<h2>\(escape(tag))</h2><table><tr><th>Method</th><th>Path</th><th>Access</th><th>Summary</th></tr>"
            for spec in specs {
                body += "<tr><td><code>\(spec.method.rawValue)</code></td><td><code>\(escape(spec.path))</code></td>"
                body += "<td>\(escape(access(spec.access)))</td><td>\(escape(spec.summary))</td></tr>"
            }
            body += "</table>"
        }
        let codes = ErrorCode.registry.map {
            "<tr><td><code>\($0.name)</code></td><td>\($0.status.code)</td><td>\($0.category)</td><td>\($0.retryable)</td></tr>"
        }.joined()
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>Fathom API</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}
            td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}code{font-size:.9rem}</style></head>
            <body><h1>Fathom API</h1>
            <p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).
            Authenticate with the <code>session</code> cookie from <code>POST /api/v1/auth/login</code> (writes need the
            <code>X-CSRFToken</code> header) or with <code>Authorization: Bearer &lt;token&gt;</code>.</p>
            \(body)
            <h2>Error codes</h2><table><tr><th>Code</th><th>Status</th><th>Category</th><th>Retryable</th></tr>\(codes)</table>
            </body></html>
            """
    }

    static func access(_ access: Access) -> String {
        switch access {
        case .public: return "public"
        case .authenticated: return "signed in"
        case .permission(let permission): return "permission: \(permission.rawValue)"
        case .project(let permission): return "project permission: \(permission.rawValue)"
        case .scoped(let permission): return "permission: \(permission.rawValue) (tenants: their projects only)"
        }
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
