/// `filter=engine=postgresql AND state!=FAILED AND labels.env="prod"` — the DBaaS list filter.
public struct FilterExpression: Sendable, Equatable {
    public enum Comparison: String, Sendable { case equal = "=", notEqual = "!=" }

    public struct Clause: Sendable, Equatable {
        public var field: String
        public var comparison: Comparison
        public var value: String
    }

    public var clauses: [Clause]

    /// Parses the expression; fields outside `fields` (or `labels.KEY` when `allowLabels`) are a 400.
    public static func parse(_ text: String?, fields: Set<String>, allowLabels: Bool = false) throws -> FilterExpression {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return FilterExpression(clauses: []) }
        var clauses: [Clause] = []
        for part in splitOnAnd(text) {
            let clause = try parseClause(part)
            let known = fields.contains(clause.field)
                || (allowLabels && clause.field.hasPrefix("labels.") && clause.field.count > "labels.".count)
            guard known else {
                let allowed = fields.sorted() + (allowLabels ? ["labels.KEY"] : [])
                throw AppError.invalid(
                    field: "filter", issue: "unknown_field",
                    "unknown filter field '\(clause.field)'; allowed: \(allowed.joined(separator: ", "))")
            }
            clauses.append(clause)
        }
        return FilterExpression(clauses: clauses)
    }

    /// The value required by an `=` clause on `field`, if any.
    public func equalValue(_ field: String) -> String? {
        clauses.first { $0.field == field && $0.comparison == .equal }?.value
    }

    public func mentions(_ field: String) -> Bool { clauses.contains { $0.field == field } }

    /// Splits on the word AND outside quotes.
    static func splitOnAnd(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var inQuotes = false
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        for word in words {
            let quotes = word.filter { $0 == "\"" }.count
            if !inQuotes && word.uppercased() == "AND" {
                parts.append(current)
                current = ""
            } else {
                current += current.isEmpty ? String(word) : " " + word
            }
            if quotes % 2 == 1 { inQuotes.toggle() }
        }
        parts.append(current)
        return parts
    }

    static func parseClause(_ raw: String) throws -> Clause {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let comparison: Comparison
        let range: Range<String.Index>
        if let notEqual = text.range(of: "!=") {
            comparison = .notEqual
            range = notEqual
        } else if let equal = text.range(of: "=") {
            comparison = .equal
            range = equal
        } else {
            throw AppError.invalid(field: "filter", issue: "invalid", "filter clauses look like field=value or field!=value")
        }
        let field = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
        var value = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
        if value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        guard !field.isEmpty, !value.isEmpty else {
            throw AppError.invalid(field: "filter", issue: "invalid", "filter clause '\(text)' needs a field and a value")
        }
        return Clause(field: field, comparison: comparison, value: value)
    }
}
