import Foundation

/// An asset's relation chain (`GET /api/v1/assets/{asset_uuid}/relations`) drawn on the server as an SVG graph:
/// one column per hop (vm → host → cluster), each node a link to its asset page, inactive edges dashed, and every
/// `missing` edge drawn as a dashed placeholder that says why it is absent. Shapes differ by asset type and edges
/// by dash pattern, so nothing depends on colour.
enum RelationGraph {
    /// The words the graph needs, from the page's catalog.
    struct Labels {
        var title: String
        var inactive: String
        /// Reason code (`not_provided_by_source`, …) → sentence.
        var reason: (String) -> String
        var assetType: (String) -> String
    }

    private struct Node {
        var uuid: String?
        var name: String
        var type: String
        var column: Int
        var row: Int
        var missingReason: String?
        var detail: String?
    }

    private struct Link {
        var from: Int
        var to: Int
        var type: String
        var status: String
        var source: String
    }

    static let boxWidth = 176.0, boxHeight = 46.0, columnGap = 96.0, rowGap = 18.0, margin = 12.0

    static func svg(_ root: RelationNodeView, labels: Labels) -> String {
        var nodes: [Node] = []
        var links: [Link] = []
        var nextRow = 0
        // Leaves take the next free row; a parent sits on its first child's row, so a chain reads as a straight line.
        func place(_ view: RelationNodeView, column: Int) -> Int {
            let index = nodes.count
            nodes.append(Node(uuid: view.assetUuid, name: view.displayName, type: view.assetType, column: column, row: 0))
            var childRows: [Int] = []
            for edge in view.outgoing ?? [] {
                let child = place(edge.to, column: column + 1)
                childRows.append(nodes[child].row)
                links.append(Link(from: index, to: child, type: edge.type, status: edge.status, source: edge.sourceId))
            }
            if column == 0 {
                for gap in view.missing ?? [] {
                    let detail = gap.target.map { "\($0["externalKind"] ?? "") \($0["externalId"] ?? "")" } ?? gap.sourceName
                    nodes.append(Node(
                        name: "?", type: gap.type, column: 1, row: nextRow, missingReason: gap.reason, detail: detail))
                    links.append(Link(from: index, to: nodes.count - 1, type: gap.type, status: "missing", source: gap.sourceName))
                    childRows.append(nextRow)
                    nextRow += 1
                }
            }
            if let first = childRows.first {
                nodes[index].row = first
            } else {
                nodes[index].row = nextRow
                nextRow += 1
            }
            return index
        }
        _ = place(root, column: 0)
        let columns = (nodes.map(\.column).max() ?? 0) + 1
        let rows = max(nextRow, 1)
        let width = Int(margin * 2 + Double(columns) * boxWidth + Double(columns - 1) * columnGap)
        let height = Int(margin * 2 + Double(rows) * boxHeight + Double(rows - 1) * rowGap)
        func x(_ node: Node) -> Double { margin + Double(node.column) * (boxWidth + columnGap) }
        func y(_ node: Node) -> Double { margin + Double(node.row) * (boxHeight + rowGap) }

        var svg = #"<svg class="chart graph" role="img" aria-label="\#(SVGChart.escape(labels.title))" viewBox="0 0 \#(width) \#(height)" preserveAspectRatio="xMinYMid meet" xmlns="http://www.w3.org/2000/svg"><title>\#(SVGChart.escape(labels.title))</title>"#
        for link in links {
            let from = nodes[link.from], to = nodes[link.to]
            let x1 = x(from) + boxWidth, y1 = y(from) + boxHeight / 2, x2 = x(to), y2 = y(to) + boxHeight / 2
            let path = "M\(fmt(x1)),\(fmt(y1)) C\(fmt(x1 + columnGap / 2)),\(fmt(y1)) \(fmt(x2 - columnGap / 2)),\(fmt(y2)) \(fmt(x2)),\(fmt(y2))"
            let status = link.status == "active" ? "" : " (" + (link.status == "inactive" ? labels.inactive : link.status) + ")"
            svg += #"<g class="edge \#(link.status)"><title>\#(SVGChart.escape("\(link.type)\(status) · \(link.source)"))</title>"#
            svg += #"<path d="\#(path)"/>"#
            svg += #"<text class="axis" x="\#(fmt((x1 + x2) / 2))" y="\#(fmt((y1 + y2) / 2 - 5))" text-anchor="middle">\#(SVGChart.escape(link.type))</text></g>"#
        }
        for (index, node) in nodes.enumerated() {
            let (nx, ny) = (x(node), y(node))
            if let reason = node.missingReason {
                svg += #"<g class="node missing"><title>\#(SVGChart.escape(labels.reason(reason)))</title>"#
                svg += #"<rect x="\#(fmt(nx))" y="\#(fmt(ny))" width="\#(fmt(boxWidth))" height="\#(fmt(boxHeight))" rx="4"/>"#
                svg += #"<text x="\#(fmt(nx + 8))" y="\#(fmt(ny + 18))">\#(SVGChart.escape(clip(labels.reason(reason), 26)))</text>"#
                svg += #"<text class="axis" x="\#(fmt(nx + 8))" y="\#(fmt(ny + 36))">\#(SVGChart.escape(clip(node.detail ?? "", 28)))</text></g>"#
                continue
            }
            let current = index == 0
            let shape = node.type == "cluster" || node.type == "host" || node.type == "vm" ? node.type : "other"
            let open = current ? #"<g class="node current \#(shape)">"# : #"<a href="/inventory/assets/\#(SVGChart.escape(node.uuid ?? ""))"><g class="node \#(shape)">"#
            svg += open + #"<title>\#(SVGChart.escape("\(labels.assetType(node.type)): \(node.name)"))</title>"#
            svg += #"<rect x="\#(fmt(nx))" y="\#(fmt(ny))" width="\#(fmt(boxWidth))" height="\#(fmt(boxHeight))" rx="\#(shape == "cluster" ? 14 : shape == "host" ? 0 : 6)"/>"#
            svg += #"<text x="\#(fmt(nx + 8))" y="\#(fmt(ny + 19))">\#(SVGChart.escape(clip(node.name, 22)))</text>"#
            svg += #"<text class="axis" x="\#(fmt(nx + 8))" y="\#(fmt(ny + 37))">\#(SVGChart.escape(labels.assetType(node.type)))</text></g>"#
            if !current { svg += "</a>" }
        }
        return svg + "</svg>"
    }

    private static func clip(_ text: String, _ count: Int) -> String {
        text.count <= count ? text : String(text.prefix(count - 1)) + "…"
    }

    private static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
}
