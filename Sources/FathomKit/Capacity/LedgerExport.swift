import Foundation
import Hummingbird
import NIOCore

/// Streams the ledger as CSV in batches, so memory stays constant however many databases there are.
/// Columns: the reference's eight in its order (headers in Chinese when the client prefers it), then Fathom's.
struct LedgerExport {
    let query: LedgerQuery
    let clock: WallClock
    let chinese: Bool
    static let batchSize = 2000

    static let englishHeader = ["Database", "Instance", "Host", "DB Type", "Tags", "Latest Size", "Last Collected", "Sync Status"]
    static let chineseHeader = ["数据库名称", "实例名称", "主机", "数据库类型", "标签", "最新容量", "最后采集时间", "同步状态"]
    static let extraHeader = ["database_id", "instance_id", "instance_uid", "port", "size_bytes", "first_seen_date", "last_seen_date"]

    var header: [String] { (chinese ? Self.chineseHeader : Self.englishHeader) + Self.extraHeader }

    /// Whether `Accept-Language` prefers Chinese over English (the first listed of the two wins).
    static func prefersChinese(_ acceptLanguage: String?) -> Bool {
        guard let acceptLanguage else { return false }
        for part in acceptLanguage.lowercased().split(separator: ",") {
            let tag = part.split(separator: ";")[0].trimmingCharacters(in: .whitespaces)
            if tag.hasPrefix("zh") { return true }
            if tag.hasPrefix("en") { return false }
        }
        return false
    }

    func response() throws -> Response {
        let filter = try query.filter()  // bad filters are a JSON 400 before the CSV starts
        let stamp = Self.fileStamp(clock.now())
        let query = self.query
        let header = header
        let body = ResponseBody { writer in
            var text: [UInt8] = []
            Self.appendLine(header, to: &text)
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
                .contentDisposition: "attachment; filename=\"database_ledger_\(stamp).csv\"",
            ],
            body: body)
    }

    static func cells(_ item: LedgerItemView) -> [String] {
        [
            item.database_name, item.instance.name, item.instance.host ?? "", item.db_type,
            item.tags.map(\.name).joined(separator: ", "), item.capacity.label, item.capacity.collected_at ?? "",
            item.sync_status.label, String(item.id), String(item.instance.id), item.instance.uid,
            item.instance.port.map(String.init) ?? "", item.capacity.size_bytes.map(String.init) ?? "", item.first_seen_date,
            item.last_seen_date,
        ]
    }

    /// `YYYYMMDD_HHMMSS` in UTC.
    static func fileStamp(_ date: Date) -> String {
        let parts = PeriodMath.utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let two = { (value: Int?) in value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(parts.year ?? 1970)\(two(parts.month))\(two(parts.day))_\(two(parts.hour))\(two(parts.minute))\(two(parts.second))"
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
