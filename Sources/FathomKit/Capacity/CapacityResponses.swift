/// Response schemas of `/api/v1/capacity/*` and `/api/v1/databases/*` for the OpenAPI document: the reference's
/// keys (its clients read them) and Fathom's beside them. `instance.id` is the integer instance id; the DBaaS id
/// (`inst-…`) is `instance.uid`.
enum CapacityResponses {
    static let int = Schemas.integer
    static let number = Schemas.number
    static let string = Schemas.string
    static let bool = Schemas.boolean
    static let maybeNumber = Schemas.nullable("number")
    static let maybeInt = Schemas.nullable("integer")
    static let maybeString = Schemas.nullable("string")

    static let instanceRef = Schemas.record(["id": int, "uid": string, "name": string, "db_type": string])

    static let paging: [String: JSONValue] = [
        "total": int, "page": int, "pages": int, "limit": int, "has_prev": bool, "has_next": bool,
    ]

    static let databaseRow = Schemas.record([
        "id": int, "instance_id": int, "database_id": int, "database_name": string, "period_type": string,
        "period_start": string, "period_end": string, "avg_size_mb": number, "max_size_mb": number, "min_size_mb": number,
        "data_count": int, "avg_data_size_mb": maybeNumber, "max_data_size_mb": maybeNumber, "min_data_size_mb": maybeNumber,
        "avg_log_size_mb": maybeNumber, "max_log_size_mb": maybeNumber, "min_log_size_mb": maybeNumber,
        "size_change_mb": maybeNumber, "size_change_percent": maybeNumber, "data_size_change_mb": maybeNumber,
        "data_size_change_percent": maybeNumber, "log_size_change_mb": maybeNumber, "log_size_change_percent": maybeNumber,
        "growth_rate": maybeNumber, "trend_direction": Schemas.enumeration(["growing", "shrinking", "stable"]),
        "calculated_at": string, "created_at": string, "instance": instanceRef, "instance_name": string, "db_type": string,
        "avg_size_bytes": int, "max_size_bytes": int, "min_size_bytes": int,
    ])

    static let instanceRow = Schemas.record([
        "id": int, "instance_id": int, "period_type": string, "period_start": string, "period_end": string,
        "total_size_mb": number, "avg_size_mb": number, "max_size_mb": number, "min_size_mb": number, "data_count": int,
        "database_count": int, "avg_database_count": int, "max_database_count": int, "min_database_count": int,
        "total_size_change_mb": maybeNumber, "total_size_change_percent": maybeNumber, "database_count_change": maybeInt,
        "database_count_change_percent": maybeNumber, "growth_rate": maybeNumber,
        "trend_direction": Schemas.enumeration(["growing", "shrinking", "stable"]), "calculated_at": string,
        "created_at": string, "instance": instanceRef, "instance_name": string, "db_type": string, "avg_size_bytes": int,
        "max_size_bytes": int, "min_size_bytes": int,
    ])

    static func page(_ item: JSONValue) -> JSONValue {
        Schemas.record(paging.merging(["items": Schemas.array(item)]) { first, _ in first })
    }

    static func summary(databases: Bool) -> JSONValue {
        var fields: [String: JSONValue] = [
            "total_instances": int, "total_size_mb": number, "avg_size_mb": number, "max_size_mb": number,
            "min_size_mb": number, "growth_rate": maybeNumber, "trend_direction": string, "period_type": string,
            "source": Schemas.enumeration(["daily_samples", "aggregations"]), "total_count": int, "total_size_bytes": int,
            "first_total_size_bytes": int, "data_points": int,
        ]
        if databases { fields["total_databases"] = int }
        return Schemas.record(["summary": Schemas.record(fields)])
    }

    static let aggregation = Schemas.record([
        "result": Schemas.record([
            "status": Schemas.enumeration(["completed", "skipped"]), "message": string, "period_type": string,
            "period_start": string, "period_end": string, "scope": string, "requested_period_type": maybeString,
            "effective_period_type": string, "database_summary": ["type": ["object", "null"]],
            "instance_summary": ["type": ["object", "null"]],
        ])
    ])

    static let options = Schemas.record([
        "databases": Schemas.array(
            Schemas.record([
                "id": int, "database_name": string, "is_active": bool, "first_seen_date": string, "last_seen_date": string,
                "deleted_at": maybeString,
            ])),
        "total_count": int, "page": int, "pages": int, "limit": int,
    ])

    static let ledger = Schemas.record([
        "items": Schemas.array(
            Schemas.record([
                "id": int, "database_name": string, "db_type": string,
                "instance": Schemas.record([
                    "id": int, "uid": string, "name": string, "host": maybeString, "port": maybeInt, "db_type": string,
                ]),
                "capacity": Schemas.record([
                    "size_mb": maybeNumber, "size_bytes": maybeInt, "label": string, "collected_at": maybeString,
                ]),
                "sync_status": Schemas.record([
                    "value": Schemas.enumeration(["pending", "completed", "running", "failed"]), "label": string,
                    "variant": Schemas.enumeration(["secondary", "success", "warning", "danger"]),
                ]),
                "tags": Schemas.array(Schemas.record(["name": string, "display_name": string, "color": string])),
            ])),
        "total": int, "page": int, "limit": int,
    ])

    static let sizes = Schemas.record([
        "databases": Schemas.array(
            Schemas.record([
                "id": int, "database_name": string, "size_mb": number, "data_size_mb": maybeNumber, "log_size_mb": maybeNumber,
                "collected_date": string, "collected_at": string, "is_active": bool, "deleted_at": maybeString,
                "last_seen_date": string,
            ])),
        "total": int, "page": int, "pages": int, "limit": int,
    ])

    static let tables = Schemas.record([
        "tables": Schemas.array(
            Schemas.record([
                "schema_name": string, "table_name": string, "size_mb": number, "data_size_mb": number,
                "index_size_mb": number, "row_count": int, "collected_at": string,
            ])),
        "collected_at": maybeString, "total": int, "page": int, "pages": int, "limit": int,
    ])
}
