import HTTPTypes
import Foundation
import Hummingbird

/// Probes, metrics and API documentation: the routes outside both API surfaces.
struct SystemRoutes {
    let services: AppServices
    let table: RouteTable

    func register(on routes: Routes) {
        routes.add(RouteSpec(.get, "/healthz", access: .public, tag: "system", summary: "Process is alive")) { _, _ in
            try JSONCoding.response(["status": "ok"])
        }

        routes.add(
            RouteSpec(.get, "/readyz", access: .public, tag: "system", summary: "Store reachable and migrations current")
        ) { _, _ in
            let reachable = await services.store.ping()
            let version = reachable ? (try? await Migrations.currentVersion(of: services.store)) ?? nil : nil
            let current = version == Migrations.latestVersion
            let body: [String: JSONValue] = [
                "status": current ? "ready" : "not_ready",
                "store": reachable ? "ok" : "unreachable",
                "schema_version": version.map { .int(Int64($0)) } ?? .null,
                "expected_schema_version": .int(Int64(Migrations.latestVersion)),
            ]
            return try JSONCoding.response(body, status: current ? .ok : .serviceUnavailable)
        }

        routes.add(
            RouteSpec(.get, "/metrics", access: .public, tag: "system", summary: "Prometheus metrics (text format)")
        ) { _, _ in
            let text = await services.metrics.render()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }

        routes.add(
            RouteSpec(.get, "/api/openapi.json", access: .public, tag: "system", summary: "This OpenAPI 3.1 document")
        ) { _, _ in
            try JSONCoding.response(OpenAPIDocument.build(routes: table.all, version: FathomVersion.current))
        }

        routes.add(
            RouteSpec(.get, "/api/docs", access: .public, tag: "system", summary: "Human-readable API reference")
        ) { _, _ in
            html(DocsPage.render(routes: table.all))
        }
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
