import Foundation
import Hummingbird
import NIOCore

/// Streams the account ledger as CSV in keyset batches, so memory stays constant however many accounts there are.
struct AccountExport {
    let accounts: AccountService
    let filter: AccountQuery.Filter
    let clock: WallClock
    static let batchSize = 2000

    static let header = [
        "account_id", "username", "db_type", "instance_id", "instance", "instance_name", "host", "port", "is_active",
        "is_superuser", "is_locked", "capabilities", "roles", "classifications", "tags", "first_seen_at", "last_seen_at",
        "last_change_at", "deleted_at",
    ]

    func response() -> Response {
        let day = PeriodMath.text(clock.now()).replacingOccurrences(of: "-", with: "")
        let (accounts, filter) = (self.accounts, self.filter)
        let body = ResponseBody { writer in
            var text: [UInt8] = []
            LedgerExport.appendLine(Self.header, to: &text)
            try await writer.write(ByteBuffer(bytes: text))
            var after: Int64 = 0
            while true {
                let items = try await accounts.batch(filter, after: after, limit: Self.batchSize)
                guard let last = items.last else { break }
                text.removeAll(keepingCapacity: true)
                for item in items { LedgerExport.appendLine(Self.cells(item), to: &text) }
                try await writer.write(ByteBuffer(bytes: text))
                after = last.account_id
                if items.count < Self.batchSize { break }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"account-ledger-\(day).csv\"",
            ],
            body: body)
    }

    static func cells(_ item: AccountService.ItemView) -> [String] {
        [
            String(item.account_id), item.username, item.db_type, item.instance.map { String($0.instance_id) } ?? "",
            item.instance?.uid ?? "", item.instance?.name ?? "", item.instance?.host ?? "", item.instance?.port.map(String.init) ?? "",
            String(item.is_active), String(item.is_superuser), String(item.is_locked), item.capabilities.joined(separator: ";"),
            item.roles.joined(separator: ";"), item.classifications.map(\.code).joined(separator: ";"), item.tags.joined(separator: ";"),
            item.first_seen_at, item.last_seen_at, item.last_change_at ?? "", item.deleted_at ?? "",
        ]
    }
}
