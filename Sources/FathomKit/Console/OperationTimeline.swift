import Foundation

/// An instance's operations on a time axis, drawn on the server: one row per operation from its start to its end
/// (or now, while it runs), the finished share of a running one filled in. State reads without colour: succeeded
/// solid, failed hatched with a dashed outline, running/pending outlined with its progress filled, cancelled
/// dotted. Every bar carries a `<title>` with type, state, progress and times.
enum OperationTimeline {
    struct Item {
        var id: String
        var type: String
        var state: String
        var progress: Int
        var start: Int64
        var end: Int64?
        var error: String?
    }

    struct Labels {
        var title: String
        var empty: String
        var state: (String) -> String
        var type: (String) -> String
    }

    static let rowHeight = 26.0, labelWidth = 150.0, left = 12.0, right = 16.0, top = 28.0

    static func svg(_ items: [Item], now: Int64, labels: Labels, width: Int = 720) -> String {
        guard !items.isEmpty else {
            return #"<svg class="chart timeline-chart" role="img" aria-label="\#(SVGChart.escape(labels.title))" viewBox="0 0 \#(width) 60" xmlns="http://www.w3.org/2000/svg"><title>\#(SVGChart.escape(labels.title))</title><text class="axis" x="\#(width / 2)" y="34" text-anchor="middle">\#(SVGChart.escape(labels.empty))</text></svg>"#
        }
        let rows = items.sorted { $0.start < $1.start }
        let first = rows.map(\.start).min()!
        let last = max(rows.map { $0.end ?? now }.max()!, first + 1000)
        let plotLeft = left + labelWidth, plotWidth = Double(width) - plotLeft - right
        func x(_ t: Int64) -> Double { plotLeft + plotWidth * Double(t - first) / Double(last - first) }
        let height = Int(top + Double(rows.count) * rowHeight + 8)
        var svg = #"<svg class="chart timeline-chart" role="img" aria-label="\#(SVGChart.escape(labels.title))" viewBox="0 0 \#(width) \#(height)" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"><title>\#(SVGChart.escape(labels.title))</title>"#
        svg += #"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" class="hatch"/></pattern></defs>"#
        for tick in 0...4 {
            let t = first + (last - first) * Int64(tick) / 4
            let xx = fmt(x(t))
            let anchor = tick == 0 ? "start" : tick == 4 ? "end" : "middle"
            svg += #"<line class="grid" x1="\#(xx)" x2="\#(xx)" y1="\#(fmt(top - 6))" y2="\#(height - 4)"/>"#
            svg += #"<text class="axis" x="\#(xx)" y="14" text-anchor="\#(anchor)">\#(clock(t, span: last - first))</text>"#
        }
        for (index, item) in rows.enumerated() {
            let y = top + Double(index) * rowHeight
            let x1 = x(item.start), x2 = max(x(item.end ?? now), x1 + 3)
            let kind = item.state.lowercased()
            var tip = "\(labels.type(item.type)) · \(labels.state(item.state)) · \(item.progress)% · \(Timestamp.iso8601(millis: item.start))"
            if let end = item.end { tip += " → \(Timestamp.iso8601(millis: end)) (\(duration(end - item.start)))" }
            if let error = item.error, !error.isEmpty { tip += " · \(error)" }
            svg += #"<g class="op \#(kind)" data-operation="\#(SVGChart.escape(item.id))"><title>\#(SVGChart.escape(tip))</title>"#
            svg += #"<text class="axis" x="\#(fmt(left))" y="\#(fmt(y + 13))" dominant-baseline="middle">\#(SVGChart.escape(String(labels.type(item.type).prefix(22))))</text>"#
            svg += #"<rect class="span" x="\#(fmt(x1))" y="\#(fmt(y + 4))" width="\#(fmt(x2 - x1))" height="18" rx="2"/>"#
            if item.end == nil {
                let done = (x2 - x1) * Double(min(max(item.progress, 0), 100)) / 100
                svg += #"<rect class="done" x="\#(fmt(x1))" y="\#(fmt(y + 4))" width="\#(fmt(done))" height="18" rx="2"/>"#
            }
            svg += "</g>"
        }
        return svg + "</svg>"
    }

    /// Axis labels: time of day for spans under a day, else month-day and time (UTC, as the API reports).
    private static func clock(_ millis: Int64, span: Int64) -> String {
        let text = Timestamp.iso8601(millis: millis)  // 2026-01-27T12:00:00.000Z
        let time = String(text.dropFirst(11).prefix(span < 120_000 ? 8 : 5))
        return span < 86_400_000 ? time : String(text.dropFirst(5).prefix(5)) + " " + time
    }

    private static func duration(_ millis: Int64) -> String {
        let seconds = max(millis / 1000, 0)
        return seconds < 120 ? "\(seconds) s" : seconds < 7200 ? "\(seconds / 60) min" : "\(seconds / 3600) h"
    }

    private static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
}
