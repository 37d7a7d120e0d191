#!/usr/bin/env python3
"""Extract the FHIR R4 Device and Bundle definitions, the datatypes they use and
their required value sets from the npm package `fhir` (4.12.0, profiles/types.json
and profiles/valuesets.json, generated from the official R4 StructureDefinitions).

Usage: python3 extract.py /path/to/fhir/package > r4-device.json
"""
import json, sys

pkg = sys.argv[1]
types = json.load(open(pkg + "/profiles/types.json"))
valuesets = json.load(open(pkg + "/profiles/valuesets.json"))

out_types, out_vs = {}, {}
todo = ["Device", "Bundle"]

def walk(props):
    for p in props:
        t = p.get("_type")
        if p.get("_valueSetStrength") == "required" and p.get("_valueSet"):
            vs = p["_valueSet"].split("|")[0]
            if vs in valuesets:
                out_vs[vs] = valuesets[vs]
        if t and t not in ("Resource", "BackboneElement", "Element") and t in types and t not in out_types:
            todo.append(t)
        walk(p.get("_properties") or [])

while todo:
    name = todo.pop()
    if name in out_types:
        continue
    out_types[name] = types[name]
    walk(types[name].get("_properties") or [])

json.dump({"source": "npm fhir@4.12.0 profiles/types.json and profiles/valuesets.json (FHIR R4)",
           "types": dict(sorted(out_types.items())), "valueSets": dict(sorted(out_vs.items()))},
          sys.stdout, indent=1, sort_keys=False)
