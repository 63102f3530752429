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
            var text: [UInt8] = []
            Self.appendLine(Self.header, to: &text)
            try await writer.write(ByteBuffer(bytes: text))
            var after: Int64 = 0
            while true {
                let items = try await query.batch(filter: filter, after: after, limit: Self.batchSize)
                guard let last = items.last else { break }
                text.removeAll(keepingCapacity: true)
                for item in items { Self.appendLine(Self.cells(item), to: &text) }
                try await writer.write(ByteBuffer(bytes: text))
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

    /// One CSV line (CRLF) of `cells`, written as bytes: the export's hot loop, kept free of Character handling.
    static func appendLine(_ cells: [String], to out: inout [UInt8]) {
        for (index, cell) in cells.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendCell(cell, to: &out)
        }
        out.append(contentsOf: [13, 10])
    }

    /// RFC 4180 quoting, and a leading `'` on text a spreadsheet would run as a formula (= + - @, tab, CR).
    static func appendCell(_ cell: String, to out: inout [UInt8]) {
        var cell = cell
        cell.withUTF8 { utf8 in
            let formula = utf8.first.map { Self.formulaStarts.contains($0) } ?? false
            let quoted = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
            if quoted { out.append(UInt8(ascii: "\"")) }
            if formula { out.append(UInt8(ascii: "'")) }
            if quoted {
                for byte in utf8 {
                    if byte == UInt8(ascii: "\"") { out.append(byte) }
                    out.append(byte)
                }
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(contentsOf: utf8)
            }
        }
    }

    static let formulaStarts: [UInt8] = Array("=+-@\t\r".utf8)

    static func escape(_ cell: String) -> String {
        var out: [UInt8] = []
        appendCell(cell, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
