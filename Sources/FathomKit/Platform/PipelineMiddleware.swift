import HTTPTypes
import Hummingbird
import Logging

/// The outermost middleware: assigns the request id, renders every error as the error body, records metrics
/// and writes one access-log line (method, route, status, duration — never headers or bodies).
struct PipelineMiddleware: RouterMiddleware {
    let renderer: ErrorRenderer
    let metrics: MetricsRegistry
    let trustProxy: Bool

    func handle(
        _ request: Request, context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.requestId = Self.requestId(from: request.headers[.requestId])
        context.logger[metadataKey: "request_id"] = .string(context.requestId)
        if trustProxy {
            context.isSecureTransport = request.headers[.forwardedProto]?.lowercased() == "https"
            if let forwarded = request.headers[.forwardedFor]?.split(separator: ",").first {
                context.clientAddress = forwarded.trimmingCharacters(in: .whitespaces)
            }
        }
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = renderer.response(for: error, request: request, context: context)
        }
        response.headers[.requestId] = context.requestId
        response.headers[.xContentTypeOptions] = "nosniff"
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let route = context.endpointPath ?? "NotFound"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: Int(response.status.code), seconds: seconds)
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue), "route": .string(route),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(TextFormat.twoDecimals(seconds * 1000)),
            ])
        return response
    }

    /// Honours a client's `X-Request-ID` when it is short and plain (it goes into logs), else makes one.
    static func requestId(from header: String?) -> String {
        if let header, (1...128).contains(header.count),
            header.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) })
        {
            return header
        }
        return "req_" + Secrets.randomToken(bytes: 12)
    }
}

extension HTTPField.Name {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
}
