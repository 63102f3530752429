import Foundation
import Hummingbird
import NIOCore

/// Streams the ledger as CSV in batches, so memory stays constant however many databases there are.
struct LedgerExport {
    let query: LedgerQuery
    let clock: WallClock
    static let batchSize = 2000

    static let header = [
        "database_id", "database_name", "instance_id", "instance", "instance_name", "host", "port", "db_type", "is_active",
        "first_seen_date", "last_seen_date", "size_bytes", "size_mb", "size_label", "collected_at", "freshness", "tags",
    ]

    func response() throws -> Response {
        let filter = try query.filter()  // bad filters are a JSON 400 before the CSV starts
        let day = PeriodMath.text(clock.now()).replacingOccurrences(of: "-", with: "")
        let query = self.query
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: Self.line(Self.header)))
            var after: Int64 = 0
            while true {
                let items = try await query.batch(filter: filter, after: after, limit: Self.batchSize)
                guard let last = items.last else { break }
                var text = ""
                text.reserveCapacity(items.count * 160)
                for item in items { text += Self.line(Self.cells(item)) }
                try await writer.write(ByteBuffer(string: text))
                after = last.database_id
                if items.count < Self.batchSize { break }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"database-ledger-\(day).csv\"",
            ],
            body: body)
    }

    static func cells(_ item: LedgerItemView) -> [String] {
        [
            String(item.database_id), item.database_name, String(item.instance.instance_id), item.instance.id, item.instance.name,
            item.instance.host ?? "", item.instance.port.map(String.init) ?? "", item.instance.db_type, item.is_active ? "true" : "false",
            item.first_seen_date, item.last_seen_date, item.capacity.size_bytes.map(String.init) ?? "",
            item.capacity.size_mb.map(TextFormat.twoDecimals) ?? "", item.capacity.label, item.capacity.collected_at ?? "",
            item.freshness, item.tags.joined(separator: ";"),
        ]
    }

    static func line(_ cells: [String]) -> String {
        cells.map(escape).joined(separator: ",") + "\r\n"
    }

    /// RFC 4180 quoting, and a leading `'` on text a spreadsheet would run as a formula (= + - @, tab, CR).
    static func escape(_ cell: String) -> String {
        var text = cell
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            text = "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}
