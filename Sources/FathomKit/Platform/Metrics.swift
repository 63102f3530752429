import Foundation
import Synchronization

/// Counters and histograms rendered in the Prometheus text format at `/metrics`.
public final class MetricsRegistry: Sendable {
    public static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

    /// A metric family: its name, help text and type.
    public struct Family: Hashable, Sendable {
        public var name: String
        public var help: String
        public var type: String
    }

    private struct Series: Hashable {
        var family: String
        var labels: String
    }

    private struct Histogram {
        var counts = [Int](repeating: 0, count: MetricsRegistry.latencyBuckets.count)
        var sum = 0.0
        var total = 0
    }

    private struct State {
        var families: [String: Family] = [:]
        var counters: [Series: Double] = [:]
        var histograms: [Series: Histogram] = [:]
    }

    private let state = Mutex(State())
    /// Sections computed at scrape time (e.g. queue depth read from the store).
    private let collectors = Mutex<[@Sendable () async -> String]>([])

    public init() {}

    public func increment(_ name: String, help: String, labels: KeyValuePairs<String, String>, by amount: Double = 1) {
        let series = Series(family: name, labels: Self.render(labels))
        state.withLock { state in
            state.families[name] = state.families[name] ?? Family(name: name, help: help, type: "counter")
            state.counters[series, default: 0] += amount
        }
    }

    public func observe(_ name: String, help: String, labels: KeyValuePairs<String, String>, seconds: Double) {
        let series = Series(family: name, labels: Self.render(labels))
        state.withLock { state in
            state.families[name] = state.families[name] ?? Family(name: name, help: help, type: "histogram")
            // Updated in place: copying the histogram out and back would copy its buckets on every request.
            if let index = Self.latencyBuckets.firstIndex(where: { seconds <= $0 }) {
                state.histograms[series, default: Histogram()].counts[index] += 1
            }
            state.histograms[series, default: Histogram()].sum += seconds
            state.histograms[series, default: Histogram()].total += 1
        }
    }

    public func recordRequest(method: String, route: String, status: Int, seconds: Double) {
        increment(
            "fathom_http_requests_total", help: "HTTP requests by route and status.",
            labels: ["method": method, "route": route, "status": String(status)])
        observe(
            "fathom_http_request_duration_seconds", help: "HTTP request latency by route.", labels: ["route": route],
            seconds: seconds)
    }

    public func addCollector(_ collector: @escaping @Sendable () async -> String) {
        collectors.withLock { $0.append(collector) }
    }

    public func render() async -> String {
        var out = state.withLock { state -> String in
            var out = ""
            for family in state.families.values.sorted(by: { $0.name < $1.name }) {
                out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n"
                if family.type == "counter" {
                    for (series, value) in state.counters where series.family == family.name {
                        out += "\(family.name){\(series.labels)} \(Self.number(value))\n"
                    }
                    continue
                }
                for (series, histogram) in state.histograms where series.family == family.name {
                    var cumulative = 0
                    for (index, bound) in Self.latencyBuckets.enumerated() {
                        cumulative += histogram.counts[index]
                        out += "\(family.name)_bucket{\(series.labels),le=\"\(bound)\"} \(cumulative)\n"
                    }
                    out += "\(family.name)_bucket{\(series.labels),le=\"+Inf\"} \(histogram.total)\n"
                    out += "\(family.name)_sum{\(series.labels)} \(histogram.sum)\n"
                    out += "\(family.name)_count{\(series.labels)} \(histogram.total)\n"
                }
            }
            return out
        }
        for collector in collectors.withLock({ $0 }) {
            out += await collector()
        }
        return out
    }

    static func render(_ labels: KeyValuePairs<String, String>) -> String {
        var text = ""
        for (index, label) in labels.enumerated() {
            if index > 0 { text += "," }
            text += label.key + "=\"" + escape(label.value) + "\""
        }
        return text
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// Runs for every label of every request: plain values (nearly all) are returned as they are.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            return text
        }
        return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
