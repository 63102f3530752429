/// Queue depth per kind and state, read from the store at scrape time (it is shared by all replicas).
enum JobMetrics {
    static func render(_ jobs: JobQueue) async -> String {
        guard let counts = try? await jobs.counts() else { return "" }
        var out = "# HELP fathom_jobs Jobs queued or running, by kind and state.\n# TYPE fathom_jobs gauge\n"
        for entry in counts.sorted(by: { ($0.kind, $0.state) < ($1.kind, $1.state) }) {
            out += "fathom_jobs{kind=\"\(MetricsRegistry.escape(entry.kind))\",state=\"\(entry.state)\"} \(entry.count)\n"
        }
        return out
    }
}
