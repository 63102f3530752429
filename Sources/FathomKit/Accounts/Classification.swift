/// A risk class accounts are put in (`code` is unique and never changes; risk 1 is the highest).
struct ClassificationView: Encodable, Sendable {
    var classification_id: Int64
    var code: String
    var display_name: String
    var description: String
    var risk_level: Int
    var priority: Int
    var is_system: Bool
    var rule_count: Int
    var account_count: Int
    var created_at: String
    var updated_at: String
}

/// One version of a classification rule.
struct RuleView: Encodable, Sendable {
    var rule_id: Int64
    /// The rule across its versions (the first version's id).
    var rule_key: Int64
    var version: Int
    var classification_id: Int64
    var classification_code: String
    var db_type: String
    var rule_name: String
    var rule_expression: JSONValue
    var is_active: Bool
    /// The version that replaced this one, when its expression changed.
    var superseded_by: Int64?
    var is_deleted: Bool
    var created_by: String?
    var created_at: String
    var updated_at: String
}

/// An account's membership of a class: `auto` (from a rule) or `manual` (by a person).
struct AssignmentView: Encodable, Sendable {
    var assignment_id: Int64
    var account_id: Int64
    var instance_id: Int64
    var username: String
    var classification_id: Int64
    var classification_code: String
    var rule_id: Int64?
    var assignment_type: String
    var assigned_by: String?
    var assigned_at: String
}

/// A rule ready to evaluate.
struct CompiledRule: Sendable {
    var ruleId: Int64
    var classificationId: Int64
    var expression: RuleExpression
    var bytes: Int
}

/// The account classes an item shows in the ledger.
struct AccountClassificationView: Encodable, Sendable {
    var classification_id: Int64
    var code: String
    var display_name: String
    var risk_level: Int
    var assignment_type: String
}
