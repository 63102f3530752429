import Foundation

/// `/api/docs`: every route grouped by tag — method, path, who may call it, parameters, the request body's schema
/// with an example, the response's schema with an example, and the error statuses with their usual codes. One
/// self-contained page (no CDN), searchable, readable on a phone.
enum DocsPage {
    static func render(routes: [RouteSpec]) -> String {
        let groups = Dictionary(grouping: routes, by: \.tag).sorted { $0.key < $1.key }
        var body = "<nav>" + groups.map { "<a href=\"#tag-\(escape($0.key))\">\(escape($0.key))</a>" }.joined(separator: " ") + "</nav>"
        for (tag, specs) in groups {
            body += "<section id=\"tag-\(escape(tag))\"><h2>\(escape(tag))</h2>"
            for spec in specs { body += route(spec) }
            body += "</section>"
        }
        let codes = ErrorCode.registry.map {
            "<tr><td><code>\($0.name)</code></td><td>\($0.status.code)</td><td>\($0.category)</td><td>\($0.retryable)</td></tr>"
        }.joined()
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
            <title>Fathom API</title><style>\(style)</style></head>
            <body><h1>Fathom API</h1>
            <p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1). Find any endpoint's code with
            <code>fathom routes</code>.</p>
            <p>Authenticate with the <code>session</code> cookie from <code>POST /api/v1/auth/login</code> (writes then need the
            <code>X-CSRFToken</code> header from the login response) or with <code>Authorization: Bearer &lt;token&gt;</code>
            (<code>POST /api/v1/auth/tokens</code>). <code>/api/v1</code> answers
            <code>{"success", "message", "data", "meta"}</code>; <code>/v1</code> answers resource-named bodies. Errors are one body
            everywhere: <code>{"error": {"code", "category", "message", "retryable", "details", "request_id"}}</code>.</p>
            <p><label for="q">Search</label> <input id="q" type="search" placeholder="path, method or words" autocomplete="off"></p>
            \(body)
            <h2 id="errors">Error codes</h2><div class="scroll"><table><tr><th>Code</th><th>Status</th><th>Category</th>
            <th>Retryable</th></tr>\(codes)</table></div>
            <script>\(script)</script></body></html>
            """
    }

    /// One route as a collapsible block; its text is what the search matches.
    static func route(_ spec: RouteSpec) -> String {
        let operation = OpenAPIDocument.operation(spec)
        var html = "<details class=\"route\"><summary><span class=\"m m-\(spec.method.rawValue.lowercased())\">\(spec.method.rawValue)</span> "
        html += "<code>\(escape(spec.path))</code> <span class=\"s\">\(escape(spec.summary))</span></summary>"
        html += "<p><b>Who</b>: \(escape(access(spec.access)))</p>"
        var parameters = spec.pathParameters.map { ($0, "path", "string") }
        parameters += spec.query.map { ($0.0, "query", typeName($0.1)) }
        if !parameters.isEmpty {
            html += "<div class=\"scroll\"><table><tr><th>Parameter</th><th>In</th><th>Type</th></tr>"
            html += parameters.map { "<tr><td><code>\(escape($0.0))</code></td><td>\($0.1)</td><td>\(escape($0.2))</td></tr>" }.joined()
            html += "</table></div>"
        }
        if let request = spec.requestBody {
            html += "<h4>Request body\(spec.bodyRequired ? "" : " (optional)")</h4>"
            html += "<p>Example:</p><pre class=\"request-example\">\(escape(pretty(SchemaExample.value(request))))</pre>"
            html += "<details><summary>Schema</summary><pre>\(escape(pretty(request)))</pre></details>"
        }
        html += "<h4>Response \(spec.successStatus)</h4>"
        if let response = spec.response {
            let example = spec.path.hasPrefix("/api/") ? SchemaExample.envelope(SchemaExample.value(response)) : SchemaExample.value(response)
            html += "<p>Example:</p><pre>\(escape(pretty(example)))</pre>"
            html += "<details><summary>Schema</summary><pre>\(escape(pretty(response)))</pre></details>"
        } else {
            html += spec.path.hasPrefix("/api/")
                ? "<p>The success envelope with the resource in <code>data</code>.</p>"
                : "<p>The resource, named by its kind.</p>"
        }
        if case .object(let responses)? = operation["responses"] {
            let errors = responses.keys.filter { $0.hasPrefix("4") || $0.hasPrefix("5") }.sorted()
            if !errors.isEmpty {
                html += "<h4>Errors</h4><ul>" + errors.map { status in
                    "<li><b>\(status)</b> \(escape(usualCodes[status] ?? ""))</li>"
                }.joined() + "</ul>"
            }
        }
        return html + "</details>"
    }

    /// The codes a status usually carries (the full table is at the end of the page).
    static let usualCodes: [String: String] = [
        "400": "CONFIG_INVALID_REQUEST (details name the field)", "401": "AUTH_UNAUTHORIZED, AUTH_SESSION_EXPIRED",
        "403": "AUTH_FORBIDDEN, AUTH_CSRF_INVALID, QUOTA_EXCEEDED", "404": "NOT_FOUND (or the resource's own *_NOT_FOUND)",
        "409": "CONFLICT, OPERATION_IN_PROGRESS, CONFIG_DUPLICATE_NAME", "422": "VALIDATION_FAILED, ENGINE_NOT_SUPPORTED",
        "406": "NOT_ACCEPTABLE (Accept other than JSON)", "413": "PAYLOAD_TOO_LARGE", "415": "UNSUPPORTED_MEDIA_TYPE",
        "429": "RATE_LIMITED, AUTH_LOGIN_THROTTLED (see Retry-After)", "503": "STORE_UNAVAILABLE (see Retry-After)",
    ]

    static func typeName(_ schema: JSONValue) -> String {
        if case .array(let values)? = schema["enum"] { return values.compactMap(\.stringValue).joined(separator: " | ") }
        if schema["type"]?.stringValue == "array" { return "list of " + (schema["items"]?["type"]?.stringValue ?? "values") }
        return schema["type"]?.stringValue ?? "string"
    }

    static func pretty(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
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

    static let style = """
        body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:72rem;padding:0 1rem;line-height:1.4}
        nav a{margin-right:.6rem}pre{background:#f5f5f5;padding:.6rem;overflow-x:auto;font-size:.85rem}
        code{font-size:.9rem;overflow-wrap:anywhere}details.route{border-bottom:1px solid #ddd;padding:.4rem 0}
        summary{cursor:pointer}summary:focus-visible{outline:2px solid #1f5fbf}.s{color:#444}
        .m{display:inline-block;min-width:3.6rem;font-weight:600;font-family:monospace}.m-get{color:#1f5fbf}.m-post{color:#207a3a}
        .m-put,.m-patch{color:#8a5a00}.m-delete{color:#b00020}.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}
        td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}input{font:inherit;padding:.3rem;max-width:100%}
        """

    /// Hides the routes whose text does not contain every word typed.
    static let script = """
        document.getElementById('q').addEventListener('input',function(e){var words=e.target.value.toLowerCase().split(/\\s+/).filter(Boolean);
        document.querySelectorAll('details.route').forEach(function(d){var t=d.textContent.toLowerCase();
        d.hidden=!words.every(function(w){return t.indexOf(w)>=0;});});});
        """
}
