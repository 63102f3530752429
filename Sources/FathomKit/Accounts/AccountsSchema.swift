/// Tables of account sync, classification and their history. Versions are kept together here (20, 21) so they can
/// be renumbered in one place when features merge.
enum AccountsSchema {
    static let migrations = [
        Migration(version: 13, name: "accounts", statements: accounts),
        Migration(version: 14, name: "account_classifications", statements: classifications),
    ]

    static func accounts(_ types: ColumnTypes) -> [String] {
        [
            // One row per account ever seen on an instance; a dropped account is deactivated, never deleted, so its
            // history and change log stay readable. `permissions` is the last snapshot, `facts` what rules read.
            """
            CREATE TABLE account_ledger (
                account_id \(types.serialKey),
                instance_id BIGINT NOT NULL,
                db_type TEXT NOT NULL,
                username TEXT NOT NULL,
                is_active \(types.bool) NOT NULL,
                is_superuser \(types.bool) NOT NULL,
                is_locked \(types.bool) NOT NULL,
                permissions TEXT NOT NULL,
                facts TEXT NOT NULL,
                first_seen_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                last_change_at BIGINT,
                deleted_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX account_ledger_name ON account_ledger (instance_id, username)",
            "CREATE INDEX account_ledger_active ON account_ledger (is_active, instance_id, username)",
            // Diffs between syncs: add, modify_privilege, modify_other, delete.
            """
            CREATE TABLE account_change_log (
                change_id \(types.serialKey),
                account_id BIGINT NOT NULL,
                instance_id BIGINT NOT NULL,
                db_type TEXT NOT NULL,
                username TEXT NOT NULL,
                change_type TEXT NOT NULL,
                message TEXT NOT NULL,
                privilege_diff TEXT NOT NULL,
                other_diff TEXT NOT NULL,
                sync_run_id BIGINT,
                changed_at BIGINT NOT NULL)
            """,
            "CREATE INDEX account_change_log_account ON account_change_log (account_id, change_id)",
            "CREATE INDEX account_change_log_instance ON account_change_log (instance_id, change_id)",
            "CREATE INDEX account_change_log_time ON account_change_log (changed_at)",
        ]
    }

    static func classifications(_ types: ColumnTypes) -> [String] {
        let seeds = SystemClassifications.all.map { seed in
            """
            INSERT INTO account_classifications (code, display_name, description, risk_level, priority, is_system, created_at, updated_at)
            VALUES ('\(seed.code)', '\(seed.displayName)', '\(seed.description)', \(seed.riskLevel), \(seed.priority), TRUE, 0, 0)
            """
        }
        return [
            """
            CREATE TABLE account_classifications (
                classification_id \(types.serialKey),
                code TEXT NOT NULL,
                display_name TEXT NOT NULL,
                description TEXT NOT NULL,
                risk_level INTEGER NOT NULL,
                priority INTEGER NOT NULL,
                is_system \(types.bool) NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX account_classifications_code ON account_classifications (code)",
            // Every version of every rule: `rule_key` names the rule across versions (its first version's id), a
            // changed expression inserts version n+1 and points the old row at it (`superseded_by`).
            """
            CREATE TABLE account_classification_rules (
                rule_id \(types.serialKey),
                rule_key BIGINT NOT NULL,
                version INTEGER NOT NULL,
                classification_id BIGINT NOT NULL,
                db_type TEXT NOT NULL,
                rule_name TEXT NOT NULL,
                expression TEXT NOT NULL,
                is_active \(types.bool) NOT NULL,
                superseded_by BIGINT,
                deleted_at BIGINT,
                created_by TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            "CREATE INDEX account_classification_rules_type ON account_classification_rules (db_type, rule_id)",
            "CREATE INDEX account_classification_rules_class ON account_classification_rules (classification_id)",
            // Several classifications per account, one row per (account, classification); `auto` rows are the
            // classifier's and replaced by each run, `manual` rows are a person's and never touched by it.
            """
            CREATE TABLE account_classification_assignments (
                assignment_id \(types.serialKey),
                account_id BIGINT NOT NULL,
                classification_id BIGINT NOT NULL,
                rule_id BIGINT,
                assignment_type TEXT NOT NULL,
                assigned_by TEXT,
                assigned_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX account_assignments_pair ON account_classification_assignments (account_id, classification_id)",
            "CREATE INDEX account_assignments_class ON account_classification_assignments (classification_id, account_id)",
        ] + seeds
    }
}

/// The six classes every Fathom starts with (risk 1 is the highest).
enum SystemClassifications {
    struct Seed {
        var code: String, displayName: String, description: String, riskLevel: Int, priority: Int
    }

    static let all = [
        Seed(code: "super", displayName: "Super privileged", description: "Superusers and equivalents", riskLevel: 1, priority: 100),
        Seed(code: "highly", displayName: "Highly privileged", description: "Can administer roles, replication or bypass security", riskLevel: 2, priority: 90),
        Seed(code: "sensitive", displayName: "Sensitive", description: "Writes or reads sensitive data broadly", riskLevel: 3, priority: 70),
        Seed(code: "medium", displayName: "Medium", description: "Ordinary application write access", riskLevel: 4, priority: 50),
        Seed(code: "low", displayName: "Low", description: "Read-only access", riskLevel: 5, priority: 30),
        Seed(code: "public", displayName: "Public", description: "No meaningful privileges", riskLevel: 6, priority: 10),
    ]
}
