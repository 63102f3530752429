import Foundation

/// Charts drawn on the server as SVG: no chart library, readable axes with units, a `<title>` tooltip on every
/// point or bar, and marks that stay distinct in greyscale (dark line, hollow markers, hatched bars by value).
enum SVGChart {
    struct Point {
        var label: String
        var value: Double
    }

    /// A line over time; `value` in bytes, the axis labelled in the best binary unit.
    static func sizeLine(_ points: [Point], title: String, empty: String, width: Int = 640, height: Int = 240) -> String {
        guard !points.isEmpty else { return emptyChart(title: title, text: empty, width: width, height: height) }
        let left = 64.0, right = 24.0, top = 16.0, bottom = 40.0
        let plotWidth = Double(width) - left - right, plotHeight = Double(height) - top - bottom
        let maxValue = max(points.map(\.value).max() ?? 1, 1)
        let scale = niceCeiling(maxValue)
        func x(_ index: Int) -> Double { left + (points.count == 1 ? plotWidth / 2 : plotWidth * Double(index) / Double(points.count - 1)) }
        func y(_ value: Double) -> Double { top + plotHeight - plotHeight * value / scale }
        var svg = open(title: title, width: width, height: height)
        for tick in 0...4 {
            let value = scale * Double(tick) / 4
            let yy = fmt(y(value))
            svg += #"<line class="grid" x1="\#(fmt(left))" x2="\#(fmt(left + plotWidth))" y1="\#(yy)" y2="\#(yy)"/>"#
            svg += #"<text class="axis" x="\#(fmt(left - 6))" y="\#(yy)" text-anchor="end" dominant-baseline="middle">\#(escape(bytes(value)))</text>"#
        }
        for index in labelIndexes(points.count) {
            // The outermost labels align to the plot's edges so they are never cut off.
            let anchor = points.count == 1 ? "middle" : index == 0 ? "start" : index == points.count - 1 ? "end" : "middle"
            svg += #"<text class="axis" x="\#(fmt(x(index)))" y="\#(fmt(top + plotHeight + 18))" text-anchor="\#(anchor)">\#(escape(points[index].label))</text>"#
        }
        let path = points.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(fmt(x($0.offset))),\(fmt(y($0.element.value)))" }.joined(separator: " ")
        svg += #"<path class="line" d="\#(path)"/>"#
        for (index, point) in points.enumerated() {
            svg += #"<circle class="dot" cx="\#(fmt(x(index)))" cy="\#(fmt(y(point.value)))" r="3.5"><title>\#(escape(point.label)): \#(escape(bytes(point.value)))</title></circle>"#
        }
        return svg + "</svg>"
    }

    /// Horizontal bars (e.g. growth per database), one row each; values may be negative.
    static func bars(_ points: [Point], title: String, empty: String, unit: (Double) -> String, width: Int = 640) -> String {
        let rowHeight = 26.0
        let height = Int(Double(max(points.count, 1)) * rowHeight + 24)
        guard !points.isEmpty else { return emptyChart(title: title, text: empty, width: width, height: 80) }
        let labelWidth = 180.0, valueWidth = 90.0
        let plotWidth = Double(width) - labelWidth - valueWidth - 8
        let maxAbs = max(points.map { abs($0.value) }.max() ?? 1, 1e-9)
        var svg = open(title: title, width: width, height: height)
        for (index, point) in points.enumerated() {
            let yy = 12 + Double(index) * rowHeight
            let length = plotWidth * abs(point.value) / maxAbs
            let kind = point.value < 0 ? "bar neg" : "bar"
            svg += #"<g><title>\#(escape(point.label)): \#(escape(unit(point.value)))</title>"#
            svg += #"<text class="axis" x="\#(fmt(labelWidth - 6))" y="\#(fmt(yy + 9))" text-anchor="end" dominant-baseline="middle">\#(escape(String(point.label.prefix(26))))</text>"#
            svg += #"<rect class="\#(kind)" x="\#(fmt(labelWidth))" y="\#(fmt(yy))" width="\#(fmt(max(length, 1)))" height="18"/>"#
            svg += #"<text class="axis" x="\#(fmt(labelWidth + max(length, 1) + 4))" y="\#(fmt(yy + 9))" dominant-baseline="middle">\#(escape(unit(point.value)))</text></g>"#
        }
        return svg + "</svg>"
    }

    static func bytes(_ value: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var amount = value, index = 0
        while abs(amount) >= 1024, index < units.count - 1 { amount /= 1024; index += 1 }
        let text = index == 0 || amount == amount.rounded() ? String(Int(amount)) : String(format: "%.1f", amount)
        return text + " " + units[index]
    }

    private static func open(title: String, width: Int, height: Int) -> String {
        #"<svg class="chart" role="img" aria-label="\#(escape(title))" viewBox="0 0 \#(width) \#(height)" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg"><title>\#(escape(title))</title>"#
    }

    private static func emptyChart(title: String, text: String, width: Int, height: Int) -> String {
        open(title: title, width: width, height: height)
            + #"<text class="axis" x="\#(width / 2)" y="\#(height / 2)" text-anchor="middle">\#(escape(text))</text></svg>"#
    }

    /// The axis top: 2, 4, 6, 8 or 10 times a power of ten in the unit the labels use, at or above `value`, so the
    /// four tick steps read plainly (0, 10, 20, 30, 40 GiB).
    private static func niceCeiling(_ value: Double) -> Double {
        var unit = 1.0
        while value / unit >= 1024 { unit *= 1024 }
        let scaled = value / unit
        let magnitude = pow(10, floor(log10(scaled)))
        for step in [2.0, 4, 6, 8, 10] where step * magnitude >= scaled { return step * magnitude * unit }
        return 10 * magnitude * unit
    }

    /// At most six evenly spaced x labels, always the first and last.
    private static func labelIndexes(_ count: Int) -> [Int] {
        guard count > 6 else { return Array(0..<count) }
        return Array(Set((0...5).map { Int((Double($0) * Double(count - 1) / 5).rounded()) })).sorted()
    }

    private static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
