/// Tables of the DBaaS control plane: projects, members, instances (with labels), operations, backups,
/// database users, and stored idempotent responses.
enum ControlPlaneSchema {
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            """
            CREATE TABLE projects (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                description TEXT NOT NULL,
                quota_instances INTEGER NOT NULL,
                quota_storage_gb INTEGER NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE project_members (
                project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                role TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (project_id, user_id))
            """,
            "CREATE INDEX project_members_user ON project_members (user_id)",
            """
            CREATE TABLE instances (
                instance_id \(types.serialKey),
                id TEXT NOT NULL UNIQUE,
                project_id TEXT NOT NULL REFERENCES projects(id),
                name TEXT NOT NULL,
                engine TEXT NOT NULL,
                version TEXT NOT NULL,
                region TEXT NOT NULL,
                provider TEXT NOT NULL,
                state TEXT NOT NULL,
                cpu INTEGER NOT NULL,
                memory_gb INTEGER NOT NULL,
                storage_gb INTEGER NOT NULL,
                high_availability \(types.bool) NOT NULL,
                endpoints TEXT NOT NULL,
                connection TEXT,
                credential TEXT,
                active_operation_id TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                deleted_at BIGINT)
            """,
            // Names are unique among a project's live instances; a deleted name can be reused.
            "CREATE UNIQUE INDEX instances_live_name ON instances (project_id, name) WHERE state <> 'DELETED'",
            "CREATE INDEX instances_project_created ON instances (project_id, created_at, id)",
            """
            CREATE TABLE instance_labels (
                instance_id BIGINT NOT NULL REFERENCES instances(instance_id) ON DELETE CASCADE,
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (instance_id, key))
            """,
            "CREATE INDEX instance_labels_key_value ON instance_labels (key, value)",
            """
            CREATE TABLE operations (
                id TEXT PRIMARY KEY,
                project_id TEXT NOT NULL REFERENCES projects(id),
                instance_id TEXT,
                type TEXT NOT NULL,
                job_id BIGINT NOT NULL,
                target_type TEXT NOT NULL,
                target_id TEXT NOT NULL,
                parameters TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX operations_project_created ON operations (project_id, created_at, id)",
            "CREATE INDEX operations_instance ON operations (instance_id)",
            "CREATE UNIQUE INDEX operations_job ON operations (job_id)",
            """
            CREATE TABLE backups (
                id TEXT PRIMARY KEY,
                project_id TEXT NOT NULL REFERENCES projects(id),
                instance_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                size_bytes BIGINT,
                location TEXT,
                error_code TEXT,
                error_message TEXT,
                created_at BIGINT NOT NULL,
                started_at BIGINT,
                finished_at BIGINT)
            """,
            "CREATE INDEX backups_instance ON backups (instance_id, created_at)",
            """
            CREATE TABLE database_users (
                id TEXT PRIMARY KEY,
                project_id TEXT NOT NULL REFERENCES projects(id),
                instance_id TEXT NOT NULL,
                name TEXT NOT NULL,
                roles TEXT NOT NULL,
                privileges TEXT NOT NULL,
                connection_limit INTEGER NOT NULL,
                login \(types.bool) NOT NULL,
                state TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX database_users_live_name ON database_users (instance_id, name) WHERE state <> 'DELETED'",
            """
            CREATE TABLE idempotency_keys (
                principal TEXT NOT NULL,
                key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                state TEXT NOT NULL,
                status INTEGER,
                body TEXT,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                PRIMARY KEY (principal, key))
            """,
            "CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at)",
        ]
    }
}
