import Foundation
import Hummingbird

/// `/api/v1/accounts/ledgers*`: the account ledger, an account's permissions and change history, the CSV export.
struct AccountLedgerRoutes: RouteGroup {
    let accounts: AccountService
    let clock: WallClock

    static let ledgerQuery: [(String, JSONValue)] = [
        ("search", Schemas.string), ("instance_id", Schemas.integer), ("db_type", Schemas.string),
        ("classification", Schemas.string), ("is_superuser", Schemas.boolean), ("is_locked", Schemas.boolean),
        ("include_deleted", Schemas.boolean), ("tags", ["type": "array", "items": Schemas.string]),
        ("page", Schemas.integer), ("limit", Schemas.integer),
    ]

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/accounts/ledgers", access: .permission(.view), tag: "accounts",
                summary: "Account ledger: every account of every instance with its flags, roles and classes",
                query: Self.ledgerQuery, ledger),
            Route(.get, "/api/v1/accounts/ledgers/exports", access: .permission(.view), tag: "accounts",
                summary: "The account ledger as CSV (same filters; streamed)", query: Array(Self.ledgerQuery.dropLast(2)), export),
            Route(.get, "/api/v1/accounts/ledgers/{account_id}/permissions", access: .permission(.view), tag: "accounts",
                summary: "An account's permission snapshot and derived facts (served from the cache when present)", permissions),
            Route(.get, "/api/v1/accounts/ledgers/{account_id}/change-history", access: .permission(.view), tag: "accounts",
                summary: "An account's change log, newest first",
                query: [("page", Schemas.integer), ("limit", Schemas.integer)], changeHistory),
        ]
    }

    func ledger(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let filter = try AccountQuery.Filter(
            query: QueryParameters(uri: request.uri), instances: try await AccountScope.visibleInstances(context, store: accounts.store))
        let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 20, maxSize: 200)
        let (items, total) = try await accounts.page(filter, offset: page.offset, limit: page.size)
        return try context.envelope(ItemsPage(items: items, total: total, page: page.page, limit: page.size))
    }

    func export(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let filter = try AccountQuery.Filter(
            query: QueryParameters(uri: request.uri), instances: try await AccountScope.visibleInstances(context, store: accounts.store))
        return AccountExport(accounts: accounts, filter: filter, clock: clock).response()
    }

    func permissions(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try PathID.int(context, "account_id", what: "Account")
        return try context.envelope(try await accounts.permissions(accountId: id, instances: try await AccountScope.visibleInstances(context, store: accounts.store)))
    }

    func changeHistory(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try PathID.int(context, "account_id", what: "Account")
        let visible = try await AccountScope.visibleInstances(context, store: accounts.store)
        let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 20, maxSize: 200)
        let (items, total) = try await accounts.store.read { db in
            guard try await AccountQuery.accountExists(id, instances: visible, on: db) else {
                throw AppError(.notFound, "Account \(id) not found")
            }
            return try await ChangeLogQuery.page(.init(accountId: id), offset: page.offset, limit: page.size, on: db)
        }
        return try context.envelope(ItemsPage(items: items, total: total, page: page.page, limit: page.size))
    }
}
