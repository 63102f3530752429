/// The rule expression language: `{"version": 4, "expr": node}`, a node being `{"op": "AND"|"OR"|"NOT", "args": [node…]}`
/// or `{"fn": name, "args": {…}}` with the functions `db_type_in {db_types}`, `is_superuser {}`,
/// `has_capability {name}`, `has_role {name}` and `has_privilege {name, scope, database?}`.
/// Parsing names every problem by its path (`rule_expression.expr.args[1].args.scope`); a parsed expression
/// evaluates without failing, and anything that cannot be read (a corrupt stored rule) matches nothing.
indirect enum RuleExpression: Sendable, Equatable {
    case and([RuleExpression])
    case or([RuleExpression])
    case not(RuleExpression)
    case dbTypeIn(Set<String>)
    case isSuperuser
    case hasCapability(String)
    case hasRole(String)
    case hasPrivilege(name: String, scope: String, database: String?)

    static let version: Int64 = 4
    static let functions = ["db_type_in", "is_superuser", "has_capability", "has_role", "has_privilege"]
    static let scopes = ["global", "database", "schema", "table"]
    static let dbTypes = ["mysql", "postgresql", "sqlserver", "oracle"]
    static let maxDepth = 16

    /// Parses a whole document; throws a 400 listing every problem with its path.
    static func parse(_ document: JSONValue, field: String = "rule_expression") throws -> RuleExpression {
        var issues: [FieldIssue] = []
        let parsed = parseDocument(document, path: field, issues: &issues)
        guard issues.isEmpty, let parsed else { throw AppError.invalid(issues, message: "Invalid rule expression") }
        return parsed
    }

    static func parseDocument(_ document: JSONValue, path: String, issues: inout [FieldIssue]) -> RuleExpression? {
        guard case .object(let object) = document else {
            issues.append(FieldIssue(field: path, issue: "type_mismatch", message: "expected an object {\"version\": 4, \"expr\": …}"))
            return nil
        }
        for key in object.keys.sorted() where !["version", "expr"].contains(key) {
            issues.append(FieldIssue(field: "\(path).\(key)", issue: "unknown_field", message: "unknown field '\(key)'"))
        }
        if object["version"]?.intValue != version {
            issues.append(FieldIssue(field: "\(path).version", issue: "invalid", message: "version must be \(version)"))
        }
        guard let expr = object["expr"] else {
            issues.append(FieldIssue(field: "\(path).expr", issue: "required", message: "'expr' is required"))
            return nil
        }
        return parseNode(expr, path: "\(path).expr", depth: 1, issues: &issues)
    }

    static func parseNode(_ node: JSONValue, path: String, depth: Int, issues: inout [FieldIssue]) -> RuleExpression? {
        guard depth <= maxDepth else {
            issues.append(FieldIssue(field: path, issue: "too_deep", message: "expressions nest at most \(maxDepth) levels"))
            return nil
        }
        guard case .object(let object) = node else {
            issues.append(FieldIssue(field: path, issue: "type_mismatch", message: "expected an object with 'op' or 'fn'"))
            return nil
        }
        let op = object["op"]
        let fn = object["fn"]
        for key in object.keys.sorted() where !["op", "fn", "args"].contains(key) {
            issues.append(FieldIssue(field: "\(path).\(key)", issue: "unknown_field", message: "unknown field '\(key)'"))
        }
        switch (op, fn) {
        case (nil, nil):
            issues.append(FieldIssue(field: path, issue: "required", message: "a node needs 'op' or 'fn'"))
            return nil
        case (.some, .some):
            issues.append(FieldIssue(field: path, issue: "invalid", message: "a node has 'op' or 'fn', not both"))
            return nil
        case (.some(let op), nil):
            return parseOperator(op, object["args"], path: path, depth: depth, issues: &issues)
        case (nil, .some(let fn)):
            return parseFunction(fn, object["args"], path: path, issues: &issues)
        }
    }

    static func parseOperator(_ op: JSONValue, _ args: JSONValue?, path: String, depth: Int, issues: inout [FieldIssue]) -> RuleExpression? {
        guard let name = op.stringValue?.uppercased(), ["AND", "OR", "NOT"].contains(name) else {
            issues.append(FieldIssue(field: "\(path).op", issue: "invalid", message: "op must be AND, OR or NOT"))
            return nil
        }
        guard case .array(let items)? = args else {
            issues.append(FieldIssue(field: "\(path).args", issue: args == nil ? "required" : "type_mismatch", message: "\(name) needs an array of nodes"))
            return nil
        }
        if name == "NOT" && items.count != 1 {
            issues.append(FieldIssue(field: "\(path).args", issue: "invalid", message: "NOT takes exactly one node"))
            return nil
        }
        if items.isEmpty {
            issues.append(FieldIssue(field: "\(path).args", issue: "invalid", message: "\(name) needs at least one node"))
            return nil
        }
        let children = items.enumerated().map { parseNode($1, path: "\(path).args[\($0)]", depth: depth + 1, issues: &issues) }
        let parsed = children.compactMap { $0 }
        guard parsed.count == children.count else { return nil }
        switch name {
        case "AND": return .and(parsed)
        case "OR": return .or(parsed)
        default: return .not(parsed[0])
        }
    }

    static func parseFunction(_ fn: JSONValue, _ args: JSONValue?, path: String, issues: inout [FieldIssue]) -> RuleExpression? {
        guard let name = fn.stringValue, functions.contains(name) else {
            issues.append(FieldIssue(field: "\(path).fn", issue: "unknown_function", message: "fn must be one of \(functions.joined(separator: ", "))"))
            return nil
        }
        let arguments: [String: JSONValue]
        switch args {
        case nil, .null?: arguments = [:]
        case .object(let object)?: arguments = object
        default:
            issues.append(FieldIssue(field: "\(path).args", issue: "type_mismatch", message: "\(name) takes an object of arguments"))
            return nil
        }
        let allowed: [String] = switch name {
        case "db_type_in": ["db_types"]
        case "is_superuser": []
        case "has_privilege": ["name", "scope", "database"]
        default: ["name"]
        }
        var ok = true
        for key in arguments.keys.sorted() where !allowed.contains(key) {
            issues.append(FieldIssue(field: "\(path).args.\(key)", issue: "unknown_field", message: "\(name) takes no '\(key)'"))
            ok = false
        }
        func text(_ key: String, required: Bool = true) -> String? {
            guard let value = arguments[key] else {
                if required { issues.append(FieldIssue(field: "\(path).args.\(key)", issue: "required", message: "'\(key)' is required")) }
                ok = ok && !required
                return nil
            }
            guard let string = value.stringValue?.trimmingCharacters(in: .whitespaces), !string.isEmpty else {
                issues.append(FieldIssue(field: "\(path).args.\(key)", issue: "invalid", message: "'\(key)' must be a non-empty string"))
                ok = false
                return nil
            }
            return string
        }
        switch name {
        case "db_type_in":
            guard case .array(let values)? = arguments["db_types"], !values.isEmpty else {
                issues.append(FieldIssue(field: "\(path).args.db_types", issue: arguments["db_types"] == nil ? "required" : "invalid", message: "db_types must be a non-empty array"))
                return nil
            }
            var types: Set<String> = []
            for (index, value) in values.enumerated() {
                guard let type = value.stringValue?.lowercased(), dbTypes.contains(type) else {
                    issues.append(FieldIssue(field: "\(path).args.db_types[\(index)]", issue: "invalid", message: "db type must be one of \(dbTypes.joined(separator: ", "))"))
                    ok = false
                    continue
                }
                types.insert(type)
            }
            return ok ? .dbTypeIn(types) : nil
        case "is_superuser":
            return ok ? .isSuperuser : nil
        case "has_capability":
            let value = text("name")
            return ok ? value.map { .hasCapability($0.uppercased()) } : nil
        case "has_role":
            let value = text("name")
            return ok ? value.map { .hasRole($0) } : nil
        default:
            let privilege = text("name")
            let scope = text("scope")?.lowercased()
            let database = text("database", required: false)
            if let scope, !scopes.contains(scope) {
                issues.append(FieldIssue(field: "\(path).args.scope", issue: "invalid", message: "scope must be one of \(scopes.joined(separator: ", "))"))
                return nil
            }
            if database != nil && scope == "global" {
                issues.append(FieldIssue(field: "\(path).args.database", issue: "invalid", message: "a global privilege has no database"))
                return nil
            }
            guard ok, let privilege, let scope else { return nil }
            return .hasPrivilege(name: privilege.uppercased(), scope: scope, database: database)
        }
    }

    /// Whether an account matches.
    func matches(_ facts: FactIndex) -> Bool {
        switch self {
        case .and(let nodes): return nodes.allSatisfy { $0.matches(facts) }
        case .or(let nodes): return nodes.contains { $0.matches(facts) }
        case .not(let node): return !node.matches(facts)
        case .dbTypeIn(let types): return types.contains(facts.dbType)
        case .isSuperuser: return facts.capabilities.contains("SUPERUSER")
        case .hasCapability(let name): return facts.capabilities.contains(name)
        case .hasRole(let name): return facts.roles.contains(name)
        case .hasPrivilege(let name, let scope, let database):
            guard let objects = facts.privileges[scope] else { return false }
            if let database {
                // Database objects are the database's name; schema and table objects are `database.schema`.
                let prefix = database + "."
                return objects.contains { object, privileges in
                    (object == database || object.hasPrefix(prefix)) && privileges.contains(name)
                }
            }
            return facts.anywhere[scope]?.contains(name) ?? false
        }
    }
}

/// An account's facts arranged for fast rule evaluation (sets instead of arrays).
struct FactIndex: Sendable {
    var dbType: String
    var capabilities: Set<String>
    var roles: Set<String>
    var privileges: [String: [String: Set<String>]]
    /// scope → privileges held on any object of that scope.
    var anywhere: [String: Set<String>]

    init(dbType: String, facts: AccountFacts) {
        self.dbType = dbType
        capabilities = Set(facts.capabilities)
        roles = Set(facts.roles)
        privileges = facts.privileges.mapValues { objects in objects.mapValues { Set($0) } }
        anywhere = facts.privileges.mapValues { objects in objects.values.reduce(into: Set<String>()) { $0.formUnion($1) } }
    }
}
