import HTTPTypes
import Foundation
import Hummingbird

/// Probes, metrics and API documentation: the routes outside both API surfaces.
struct SystemRoutes: RouteGroup {
    let store: Store
    let metrics: MetricsRegistry
    let table: RouteTable

    var endpoints: [Route] {
        [
            Route(.get, "/healthz", access: .public, tag: "system", summary: "Process is alive", health),
            Route(.get, "/readyz", access: .public, tag: "system", summary: "Store reachable and migrations current",
                ready),
            Route(.get, "/metrics", access: .public, tag: "system", summary: "Prometheus metrics (text format)",
                produces: "text/plain", metrics),
            Route(.get, "/api/openapi.json", access: .public, tag: "system", summary: "This OpenAPI 3.1 document",
                openAPI),
            Route(.get, "/api/docs", access: .public, tag: "system", summary: "Human-readable API reference",
                produces: "text/html", docs),
        ]
    }

    func health(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try JSONCoding.response(["status": "ok"])
    }

    func ready(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let reachable = await store.ping()
        let version = reachable ? (try? await Migrations.currentVersion(of: store)) ?? nil : nil
        let current = version == Migrations.latestVersion
        let body: [String: JSONValue] = [
            "status": current ? "ready" : "not_ready",
            "store": reachable ? "ok" : "unreachable",
            "schema_version": version.map { .int(Int64($0)) } ?? .null,
            "expected_schema_version": .int(Int64(Migrations.latestVersion)),
        ]
        return try JSONCoding.response(body, status: current ? .ok : .serviceUnavailable)
    }

    func metrics(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let text = await metrics.render()
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func openAPI(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try JSONCoding.response(OpenAPIDocument.build(routes: table.all, version: FathomVersion.current))
    }

    func docs(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        html(DocsPage.render(routes: table.all))
    }

}

/// Fathom's version, printed by `fathom version` and in the OpenAPI document.
public enum FathomVersion {
    public static let current = "0.1.0"
}

func html(_ text: String) -> Response {
    Response(
        status: .ok,
        headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: "default-src 'self'; style-src 'unsafe-inline'"],
        body: .init(byteBuffer: ByteBuffer(string: text)))
}

extension HTTPField.Name {
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
}
