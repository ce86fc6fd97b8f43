@validation
Feature: Manifests are validated the way the API server validates them

  "reconciler validate" checks manifests against the Kubernetes schemas of the version asked
  for (strict: unknown fields and repeated keys are errors) and runs the API server's own
  semantic checks, with its wording and field paths. The simulated API server runs the same
  checks when a scenario applies a manifest, so what validates also applies, and what the
  simulator refuses, validation refuses.

  Scenario: Realistic manifests are valid
    Then "fixtures/validation/valid/deployment.yaml" is a valid manifest
    And "fixtures/validation/valid/service-and-configmap.yaml" is a valid manifest
    And "fixtures/validation/valid/list.json" is a valid manifest
    And "fixtures/validation/valid/nullable.yaml" is a valid manifest

  Scenario: A misspelt field is an unknown field, with a suggestion and its line
    Then "fixtures/validation/invalid/unknown-field.yaml" is not a valid manifest because "unknown-field.yaml:6: document 1 (Pod typo): spec.contianers: unknown field "contianers", did you mean "containers"?"

  Scenario: Schema problems the API server's decoding finds
    Then "fixtures/validation/invalid/duplicate-key.yaml" is not a valid manifest because "spec.restartPolicy: key "restartPolicy" already set in map"
    And "fixtures/validation/invalid/removed-api.yaml" is not a valid manifest because "Deployment extensions/v1beta1 was removed in Kubernetes 1.16: use apiVersion apps/v1 instead"
    And "fixtures/validation/invalid/wrong-api-version.yaml" is not a valid manifest because "(Deployment is served as apps/v1)"

  Scenario: Input that is not a manifest gets one clear line per file
    Then "fixtures/validation/invalid/broken.yaml" is not a valid manifest because "broken.yaml:7: document 1: invalid YAML at line 7 column 1"
    And "fixtures/validation/invalid/not-a-mapping.yaml" is not a valid manifest because "expected a Kubernetes object (a mapping), got array"
    And "fixtures/validation/invalid/alias-bomb.yaml" is not a valid manifest because "document contains excessive aliasing"

  Scenario: A custom resource is validated against the CRD found among the inputs
    Then "fixtures/validation/crd" is not a valid manifest because "crontab.yaml:16: document 2 (CronTab broken): spec.replicas: Invalid value: 0: should be greater than or equal to 1"

  Scenario Outline: What validation refuses, the simulated API server refuses with the same message
    Then "fixtures/validation/invalid/<file>" is not a valid manifest because "<message>"
    And applying "fixtures/validation/invalid/<file>" fails with "<message>"

    Examples:
      | file                            | message                                                                                   |
      | bad-quantity.yaml               | spec.template.spec.containers[0].resources.requests.cpu: Invalid value: "500x": quantities must match the regular expression |
      | requests-above-limits.yaml      | spec.containers[0].resources.requests: Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi |
      | duplicate-container.yaml        | spec.containers[1].name: Duplicate value: "main"                                          |
      | selector-mismatch.yaml          | spec.template.metadata.labels: Invalid value: map[app:lost]: `selector` does not match template `labels` |
      | surge-and-unavailable-zero.yaml | spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0 |
      | probe-out-of-range.yaml         | spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0 |
      | bad-name.yaml                   | metadata.name: Invalid value: "My_Config": a lowercase RFC 1123 subdomain                 |
