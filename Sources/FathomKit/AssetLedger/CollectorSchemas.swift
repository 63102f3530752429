import Foundation

/// The JSON Schemas a collector's response is validated against. The same documents are published for plugin
/// authors in `docs/schemas/` (a test keeps the copies identical).
enum CollectorSchemas {
    static let response = JSONSchema(text: responseText)
    static let normalized = JSONSchema(text: normalizedText)

    static let responseText = #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "collector-response-v1",
  "title": "Collector response (collector-response-v1)",
  "type": "object",
  "required": ["schema_version"],
  "properties": {
    "schema_version": {"type": "string", "enum": ["collector-response-v1"]},
    "detect": {
      "type": "object",
      "properties": {
        "target_version": {"type": ["string", "null"]},
        "capabilities": {"type": ["object", "null"]},
        "driver": {"type": ["string", "null"]}
      }
    },
    "assets": {
      "type": "array",
      "items": {
        "type": "object",
        "required": ["external_kind", "external_id", "normalized"],
        "properties": {
          "external_kind": {"type": "string", "enum": ["vm", "host", "cluster", "database_instance"]},
          "external_id": {"type": "string", "minLength": 1},
          "normalized": {"type": "object"},
          "raw_payload": {}
        }
      }
    },
    "relations": {
      "type": "array",
      "items": {
        "type": "object",
        "required": ["type", "from", "to"],
        "properties": {
          "type": {"type": "string", "enum": ["runs_on", "hosts_vm", "member_of"]},
          "from": {
            "type": "object",
            "required": ["external_kind", "external_id"],
            "properties": {
              "external_kind": {"type": "string", "enum": ["vm", "host", "cluster", "database_instance"]},
              "external_id": {"type": "string", "minLength": 1}
            }
          },
          "to": {
            "type": "object",
            "required": ["external_kind", "external_id"],
            "properties": {
              "external_kind": {"type": "string", "enum": ["vm", "host", "cluster", "database_instance"]},
              "external_id": {"type": "string", "minLength": 1},
              "source_id": {"type": "string", "minLength": 1}
            }
          },
          "raw_payload": {}
        }
      }
    },
    "stats": {
      "type": "object",
      "properties": {
        "assets": {"type": "integer", "minimum": 0},
        "relations": {"type": "integer", "minimum": 0},
        "inventory_complete": {"type": "boolean"},
        "warnings": {"type": "array"}
      }
    },
    "errors": {
      "type": "array",
      "items": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
          "code": {"type": "string", "minLength": 1},
          "category": {"type": "string"},
          "message": {"type": "string"},
          "retryable": {"type": "boolean"},
          "redacted_context": {"type": ["object", "null"]}
        }
      }
    }
  }
}
"""#

    static let normalizedText = #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "normalized-v1",
  "title": "Normalized asset record (normalized-v1)",
  "type": "object",
  "required": ["version", "kind"],
  "additionalProperties": false,
  "properties": {
    "version": {"type": "string", "enum": ["normalized-v1"]},
    "kind": {"type": "string", "enum": ["vm", "host", "cluster", "database_instance"]},
    "identity": {
      "type": "object",
      "properties": {
        "hostname": {"type": ["string", "null"]},
        "machine_uuid": {"type": ["string", "null"]},
        "serial_number": {"type": ["string", "null"]},
        "cloud_native_id": {"type": ["string", "null"]},
        "vendor": {"type": ["string", "null"]},
        "model": {"type": ["string", "null"]},
        "product_name": {"type": ["string", "null"]},
        "caption": {"type": ["string", "null"]}
      }
    },
    "network": {
      "type": "object",
      "properties": {
        "ip_addresses": {"type": "array", "items": {"type": "string"}},
        "mac_addresses": {"type": "array", "items": {"type": "string"}},
        "management_ip": {"type": ["string", "null"]},
        "bmc_ip": {"type": ["string", "null"]}
      }
    },
    "os": {
      "type": "object",
      "properties": {
        "name": {"type": ["string", "null"]},
        "version": {"type": ["string", "null"]},
        "fingerprint": {"type": ["string", "null"]}
      }
    },
    "hardware": {
      "type": "object",
      "properties": {
        "cpu_count": {"type": ["integer", "null"], "minimum": 0},
        "memory_bytes": {"type": ["integer", "null"], "minimum": 0},
        "disks": {
          "type": "array",
          "items": {
            "type": "object",
            "properties": {
              "name": {"type": ["string", "null"]},
              "size_bytes": {"type": ["integer", "null"], "minimum": 0},
              "type": {"type": ["string", "null"], "enum": ["thin", "thick", "eagerZeroedThick", null]}
            }
          }
        }
      }
    },
    "runtime": {
      "type": "object",
      "properties": {
        "power_state": {"type": ["string", "null"], "enum": ["poweredOn", "poweredOff", "suspended", null]},
        "tools_running": {"type": ["boolean", "null"]},
        "tools_status": {"type": ["string", "null"]}
      }
    },
    "storage": {
      "type": "object",
      "properties": {
        "datastores": {
          "type": "array",
          "items": {
            "type": "object",
            "required": ["name", "capacity_bytes"],
            "properties": {
              "name": {"type": "string"},
              "capacity_bytes": {"type": "integer", "minimum": 0}
            }
          }
        }
      }
    },
    "location": {
      "type": "object",
      "properties": {
        "region": {"type": ["string", "null"]},
        "city": {"type": ["string", "null"]},
        "cabinet": {"type": ["string", "null"]},
        "position": {"type": ["string", "null"]}
      }
    },
    "ownership": {
      "type": "object",
      "properties": {
        "department": {"type": ["string", "null"]},
        "owner_name": {"type": ["string", "null"]},
        "owner_email": {"type": ["string", "null"]},
        "cc_emails": {"type": "array", "items": {"type": "string"}}
      }
    },
    "service": {
      "type": "object",
      "properties": {
        "system_name": {"type": ["string", "null"]},
        "applications": {"type": "array", "items": {"type": "string"}},
        "service_level": {"type": ["string", "null"]}
      }
    },
    "resource": {"type": "object", "properties": {"profile": {"type": ["string", "null"]}}},
    "physical": {
      "type": "object",
      "properties": {
        "fixed_asset_id": {"type": ["string", "null"]},
        "maintenance_period": {"type": ["string", "null"]}
      }
    },
    "comments": {"type": ["string", "null"]},
    "classification": {"type": ["string", "null"]},
    "cloud": {"type": ["boolean", "string", "null"]},
    "attributes": {
      "type": "object",
      "additionalProperties": {"type": ["string", "number", "boolean", "null"]}
    }
  }
}
"""#
}
