import Foundation
import Hummingbird
import HummingbirdCore
import SQLKit

/// A page of a `/v1` list.
struct ListPage<T: Sendable>: Sendable {
    var items: [T]
    var nextPageToken: String
    var totalCount: Int
}

extension ControlPlane {
    static let instanceFilterFields: Set<String> = ["engine", "state", "region", "name", "provider"]
    static let instanceSortColumns = ["created_at": "i.created_at", "name": "i.name", "state": "i.state"]

    /// Instances of a project: filter, sort, cursor paging. DELETED ones are listed only when the filter asks
    /// for a state.
    func listInstances(projectId: String, uri: URI) async throws -> ListPage<Instance> {
        let query = uri.queryParameters
        let filterText = query["filter"].map(String.init)
        let filter = try FilterExpression.parse(filterText, fields: Self.instanceFilterFields, allowLabels: true)
        let sort = try SortOrder.parse(query["sort"].map(String.init), columns: Self.instanceSortColumns, default: "-created_at")
        let now = clock.now()
        let page = try CursorPage.parse(uri, scope: "instances:\(projectId)", filter: filterText, sort: sort, signer: signer, now: now)
        var conditions: [SQLQueryString] = ["i.project_id = \(bind: projectId)"]
        if !filter.mentions("state") { conditions.append("i.state <> 'DELETED'") }
        for clause in filter.clauses {
            let op: SQLQueryString = clause.comparison == .equal ? "=" : "<>"
            if clause.field.hasPrefix("labels.") {
                let key = String(clause.field.dropFirst("labels.".count))
                let exists: SQLQueryString = clause.comparison == .equal ? "EXISTS" : "NOT EXISTS"
                conditions.append(
                    """
                    \(exists) (SELECT 1 FROM instance_labels l WHERE l.instance_id = i.instance_id
                        AND l.key = \(bind: key) AND l.value = \(bind: clause.value))
                    """)
            } else {
                conditions.append("i.\(unsafeRaw: clause.field) \(op) \(bind: clause.value)")
            }
        }
        let filtered = conditions
        return try await store.read { db in
            let (rows, total) = try await InstanceStore.page(where: filtered, page: page, sort: sort, on: db)
            let next = page.nextToken(rows, signer: signer, now: now) { instance in
                Cursor(value: Self.sortValue(instance, sort.field), id: instance.id)
            }
            return ListPage(
                items: try await InstanceStore.withLabels(Array(rows.prefix(page.pageSize)), on: db), nextPageToken: next,
                totalCount: total)
        }
    }

    static func sortValue(_ instance: Instance, _ field: String) -> JSONValue {
        switch field {
        case "name": return .string(instance.name)
        case "state": return .string(instance.state.rawValue)
        default: return .int(instance.createdAt)
        }
    }

    static let operationFilterFields: Set<String> = ["instance_id", "type", "state"]

    /// Operations of a project, newest first by default; filter by instance_id, type, state.
    func listOperations(projectId: String, uri: URI) async throws -> ListPage<Operation> {
        let query = uri.queryParameters
        let filterText = query["filter"].map(String.init)
        let filter = try FilterExpression.parse(filterText, fields: Self.operationFilterFields)
        let sort = try SortOrder.parse(query["sort"].map(String.init), columns: ["created_at": "o.created_at"], default: "-created_at")
        let now = clock.now()
        let page = try CursorPage.parse(uri, scope: "operations:\(projectId)", filter: filterText, sort: sort, signer: signer, now: now)
        var conditions: [SQLQueryString] = ["o.project_id = \(bind: projectId)"]
        for clause in filter.clauses {
            var condition: SQLQueryString
            switch clause.field {
            case "state":
                guard let state = OperationState(rawValue: clause.value.uppercased()) else {
                    throw AppError.invalid(field: "filter", issue: "invalid",
                        "state must be one of \(OperationState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                condition = OperationStore.stateCondition(state)
            case "type":
                condition = "o.type = \(bind: clause.value.uppercased())"
            default:
                condition = "o.instance_id = \(bind: clause.value)"
            }
            conditions.append(clause.comparison == .equal ? condition : "NOT (\(condition))")
        }
        let filtered = conditions
        return try await store.read { db in
            let (rows, total) = try await OperationStore.page(where: filtered, page: page, sort: sort, on: db)
            let next = page.nextToken(rows, signer: signer, now: now) { Cursor(value: .int($0.createdAt), id: $0.id) }
            return ListPage(items: Array(rows.prefix(page.pageSize)), nextPageToken: next, totalCount: total)
        }
    }
}

extension ListPage {
    func map<U: Sendable>(_ transform: (T) throws -> U) rethrows -> ListPage<U> {
        ListPage<U>(items: try items.map(transform), nextPageToken: nextPageToken, totalCount: totalCount)
    }
}
