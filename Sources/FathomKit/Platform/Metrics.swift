import Foundation
import Hummingbird
import Synchronization

/// Request counters and latency histograms, rendered in the Prometheus text format at `/metrics`.
public final class MetricsRegistry: Sendable {
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private struct Histogram {
        var counts = [Int](repeating: 0, count: MetricsRegistry.buckets.count)
        var sum = 0.0
        var total = 0
    }

    private struct State {
        var requests: [RequestKey: Int] = [:]
        var latency: [String: Histogram] = [:]
    }

    private let state = Mutex(State())
    /// Extra sections (e.g. job gauges) appended by other features.
    private let collectors = Mutex<[@Sendable () async -> String]>([])

    public init() {}

    public func recordRequest(method: String, route: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.requests[RequestKey(method: method, route: route, status: status), default: 0] += 1
            var histogram = state.latency[route] ?? Histogram()
            if let index = Self.buckets.firstIndex(where: { seconds <= $0 }) { histogram.counts[index] += 1 }
            histogram.sum += seconds
            histogram.total += 1
            state.latency[route] = histogram
        }
    }

    public func addCollector(_ collector: @escaping @Sendable () async -> String) {
        collectors.withLock { $0.append(collector) }
    }

    public func render() async -> String {
        var out = state.withLock { state -> String in
            var out = "# HELP fathom_http_requests_total HTTP requests by route and status.\n"
            out += "# TYPE fathom_http_requests_total counter\n"
            for (key, count) in state.requests.sorted(by: { ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status) }) {
                out += "fathom_http_requests_total{method=\"\(key.method)\",route=\"\(Self.escape(key.route))\",status=\"\(key.status)\"} \(count)\n"
            }
            out += "# HELP fathom_http_request_duration_seconds Request latency by route.\n"
            out += "# TYPE fathom_http_request_duration_seconds histogram\n"
            for (route, histogram) in state.latency.sorted(by: { $0.key < $1.key }) {
                let label = "route=\"\(Self.escape(route))\""
                var cumulative = 0
                for (index, bound) in Self.buckets.enumerated() {
                    cumulative += histogram.counts[index]
                    out += "fathom_http_request_duration_seconds_bucket{\(label),le=\"\(bound)\"} \(cumulative)\n"
                }
                out += "fathom_http_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(histogram.total)\n"
                out += "fathom_http_request_duration_seconds_sum{\(label)} \(histogram.sum)\n"
                out += "fathom_http_request_duration_seconds_count{\(label)} \(histogram.total)\n"
            }
            return out
        }
        for collector in collectors.withLock({ $0 }) {
            out += await collector()
        }
        return out
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
