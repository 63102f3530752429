#!/usr/bin/env python3
"""Sample collector for Fathom's asset-ledger tests, speaking collector-protocol v1 (docs/collector-protocol.md).

It reads the request from stdin and writes one response to stdout. What it reports comes from the source's
config (passed through unchanged by Fathom):
  clusters: ["c-1", ...]             hosts: {"h-1": "c-1", ...}          vms: {"vm-1": "h-1", ...}
  scenario: ok | log_prefix | invalid_json | exit_nonzero | plugin_error | schema_version | schema_invalid |
            incomplete | no_relations | sleep | huge_output
  pid_file: where `sleep` writes "<own pid> <child pid>" (the child is a grandchild of Fathom)
  normalized: {"vm-1": {"network": {...}}, ...}  merged into that asset's normalized record (sections replaced)
  dangling: {"vm-3": "h-404"}        VMs whose runs_on target is never reported
  databases: {"inst-…": "vm-1"}      database instances (external id = Fathom's instance id) and the VM each runs on
"""
import json
import os
import subprocess
import sys
import time


def asset(kind, external_id, **normalized):
    doc = {"version": "normalized-v1", "kind": kind, "identity": {"hostname": external_id, "caption": external_id}}
    doc.update(normalized)
    return {"external_kind": kind, "external_id": external_id, "normalized": doc, "raw_payload": {"moid": external_id}}


def edge(kind, from_kind, from_id, to_kind, to_id):
    return {"type": kind, "from": {"external_kind": from_kind, "external_id": from_id},
            "to": {"external_kind": to_kind, "external_id": to_id}}


def inventory(config, mode):
    assets, relations = [], []
    overrides = config.get("normalized", {})
    if mode in ("collect", "collect_hosts"):
        for cluster in config.get("clusters", []):
            assets.append(asset("cluster", cluster))
        for host, cluster in config.get("hosts", {}).items():
            assets.append(asset("host", host, network={"management_ip": "192.0.2.1"}))
            relations.append(edge("member_of", "host", host, "cluster", cluster))
    if mode in ("collect", "collect_vms"):
        for vm, host in config.get("vms", {}).items():
            assets.append(asset("vm", vm, network={"ip_addresses": ["10.0.0.1"]}, runtime={"power_state": "poweredOn"}))
            relations.append(edge("runs_on", "vm", vm, "host", host))
        for vm, host in config.get("dangling", {}).items():
            assets.append(asset("vm", vm))
            relations.append(edge("runs_on", "vm", vm, "host", host))
        for database, vm in config.get("databases", {}).items():
            assets.append(asset("database_instance", database))
            relations.append(edge("runs_on", "database_instance", database, "vm", vm))
    for item in assets:
        item["normalized"].update(overrides.get(item["external_id"], {}))
    return assets, relations


def main():
    request = json.load(sys.stdin)
    source = request["source"]
    config = source.get("config") or {}
    credential = source.get("credential") or {}
    mode = request["request"]["mode"]
    scenario = config.get("scenario", "ok")
    # Diagnostics on stderr, deliberately quoting the password: Fathom must mask it in the run's excerpt.
    sys.stderr.write("sample collector: mode=%s user=%s password=%s\n"
                     % (mode, credential.get("username"), credential.get("password")))
    response = {"schema_version": "collector-response-v1", "assets": [], "relations": [],
                "stats": {"assets": 0, "relations": 0, "inventory_complete": True, "warnings": []}, "errors": []}

    if scenario == "sleep":
        child = subprocess.Popen(["sleep", "300"])
        with open(config["pid_file"], "w") as handle:
            handle.write("%d %d" % (os.getpid(), child.pid))
        time.sleep(300)
    if scenario == "invalid_json":
        print("this is not JSON")
        return 0
    if scenario == "exit_nonzero":
        print("crashed", file=sys.stderr)
        return 3
    if scenario == "huge_output":
        sys.stdout.write(" " * (4 << 20))
        return 0
    if scenario == "plugin_error":
        response["errors"] = [
            {"code": "VCENTER_AUTH_FAILED", "category": "auth", "retryable": False,
             "message": "login rejected for password %s" % credential.get("password")},
            {"code": "VCENTER_NETWORK_ERROR", "category": "network", "retryable": True, "message": "second"},
        ]
        print(json.dumps(response))
        return 1
    if scenario == "schema_version":
        response["schema_version"] = "collector-response-v0"
        print(json.dumps(response))
        return 0

    if mode == "detect":
        response["detect"] = {"target_version": "8.0", "capabilities": {"hosts": True}, "driver": "sample@v1"}
    elif mode.startswith("collect"):
        assets, relations = inventory(config, mode)
        if scenario == "schema_invalid" and assets:
            assets[0]["normalized"]["network"] = {"ip_addresses": "10.0.0.1"}
        if scenario == "no_relations":
            relations = []
        response["assets"], response["relations"] = assets, relations
        response["stats"].update(assets=len(assets), relations=len(relations),
                                 inventory_complete=scenario != "incomplete")
    if scenario == "log_prefix":
        print("INFO starting collection {not json}")
        print("INFO done")
    print(json.dumps(response))
    return 0


if __name__ == "__main__":
    sys.exit(main())
