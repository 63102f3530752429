import HTTPTypes

/// The asset ledger's error codes: its resources (`asset-ledger-api.md` §3–§5) and the collector protocol's failure
/// table (category and retry advice exactly as `collector-protocol.md` gives them). Plugin failures are recorded on
/// runs; the statuses matter only where a code reaches an HTTP response.
extension ErrorCode {
    private static func ledger(
        _ name: String, _ status: HTTPResponse.Status, _ category: String, retryable: Bool = false, _ message: String
    ) -> ErrorCode {
        ErrorCode(name: name, status: status, category: category, retryable: retryable, message: message)
    }

    public static let configSourceNotFound = ledger("CONFIG_SOURCE_NOT_FOUND", .notFound, "config", "Source not found")
    public static let configScheduleGroupNotFound = ledger(
        "CONFIG_SCHEDULE_GROUP_NOT_FOUND", .notFound, "config", "Schedule group not found")
    public static let configRunNotFound = ledger("CONFIG_RUN_NOT_FOUND", .notFound, "config", "Run not found")
    public static let configInvalidTimezone = ledger(
        "CONFIG_INVALID_TIMEZONE", .badRequest, "config", "timezone must be an IANA time zone such as Asia/Shanghai")
    public static let configInvalidHHMM = ledger(
        "CONFIG_INVALID_HHMM", .badRequest, "config", "runAtHhmm must be HH:MM (00:00-23:59)")

    public static let pluginExecFailed = ledger(
        "PLUGIN_EXEC_FAILED", .badGateway, "unknown", "The collector cannot be started or is not configured")
    public static let pluginTimeout = ledger(
        "PLUGIN_TIMEOUT", .gatewayTimeout, "unknown", retryable: true, "The collector exceeded its timeout")
    public static let pluginExitNonzero = ledger(
        "PLUGIN_EXIT_NONZERO", .badGateway, "unknown", "The collector exited with a non-zero status and no errors")
    public static let pluginOutputInvalidJSON = ledger(
        "PLUGIN_OUTPUT_INVALID_JSON", .badGateway, "parse", "The collector's stdout is not a JSON document")
    public static let pluginOutputTooLarge = ledger(
        "PLUGIN_OUTPUT_TOO_LARGE", .badGateway, "parse", "The collector's stdout exceeded the configured limit")
    public static let pluginSchemaVersionUnsupported = ledger(
        "PLUGIN_SCHEMA_VERSION_UNSUPPORTED", .badGateway, "parse", "schema_version is not collector-response-v1")
    public static let schemaValidationFailed = ledger(
        "SCHEMA_VALIDATION_FAILED", .badGateway, "parse", "The collector's response breaks the schema")
    public static let inventoryIncomplete = ledger(
        "INVENTORY_INCOMPLETE", .badGateway, "parse", "The collect returned inventory_complete: false")
    public static let inventoryRelationsEmpty = ledger(
        "INVENTORY_RELATIONS_EMPTY", .badGateway, "parse", "A virtualization collect returned assets but no relations")
    public static let runWorkerLost = ledger(
        "RUN_WORKER_LOST", .internalServerError, "unknown", retryable: true,
        "The worker running this collection stopped (crash or restart) before it finished")
}

/// Codes of ledger fields (issue 14); CONFIG_ASSET_NOT_FOUND is in the platform registry already.
extension ErrorCode {
    public static let configLedgerFieldLimitExceeded = ErrorCode(
        name: "CONFIG_LEDGER_FIELD_LIMIT_EXCEEDED", status: .badRequest, category: "config", retryable: false,
        message: "At most 100 assets per bulk ledger-field update")
    public static let configLedgerFieldKeyInvalid = ErrorCode(
        name: "CONFIG_LEDGER_FIELD_KEY_INVALID", status: .badRequest, category: "config", retryable: false,
        message: "Not a ledger field")
}

/// The merge rules' refusals.
extension ErrorCode {
    public static let configAssetMergeAssetTypeMismatch = ErrorCode(
        name: "CONFIG_ASSET_MERGE_ASSET_TYPE_MISMATCH", status: .badRequest, category: "config", retryable: false,
        message: "Only assets of the same type can be merged")
    public static let configAssetMergeCycleDetected = ErrorCode(
        name: "CONFIG_ASSET_MERGE_CYCLE_DETECTED", status: .badRequest, category: "config", retryable: false,
        message: "The merge would make an asset part of itself")
    public static let configAssetMergeVMRequiresOffline = ErrorCode(
        name: "CONFIG_ASSET_MERGE_VM_REQUIRES_OFFLINE", status: .badRequest, category: "config", retryable: false,
        message: "A VM can only absorb VMs that are offline")
}

extension ErrorCode {
    public static let configDuplicateCandidateNotFound = ErrorCode(
        name: "CONFIG_DUPLICATE_CANDIDATE_NOT_FOUND", status: .notFound, category: "config", retryable: false,
        message: "Duplicate candidate not found")
}
