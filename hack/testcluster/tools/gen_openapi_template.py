#!/usr/bin/env python3
"""Derives tc/data/openapi-template.json from the recorded OpenAPI v3 document of a CRD group
(tests/fixtures/k8s-1.28/discovery/openapi-v3-mlops.example.io-v1alpha1.json): the path items and
shared meta.k8s.io schemas that tc/openapi.py instantiates for every served resource.
Usage: gen_openapi_template.py SHARED_K8S_DIR OUT"""
import json, os, sys
d = json.load(open(os.path.join(sys.argv[1], 'discovery/openapi-v3-mlops.example.io-v1alpha1.json')))
schemas = d['components']['schemas']
out = {'info': d['info'], 'openapi': d['openapi'], 'paths': d['paths'],
       'list': schemas['io.example.mlops.v1alpha1.ModelDeploymentList'],
       'object_props': {k: schemas['io.example.mlops.v1alpha1.ModelDeployment']['properties'][k]
                        for k in ('apiVersion', 'kind', 'metadata')},
       'shared': {k: v for k, v in schemas.items() if not k.startswith('io.example.')}}
json.dump(out, open(sys.argv[2], 'w'), indent=1, sort_keys=True)
