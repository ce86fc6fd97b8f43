@bad-input
Feature: Bad input fails with one clear line

  A missing file, broken YAML, a document without a kind or an object the API server
  refuses fails the step with one line naming the file, the document's index and the
  field, as kubectl would report it, never with a traceback. Nothing of a refused apply
  is written.

  Scenario: Broken YAML names the file, the document and the line
    Then applying "fixtures/invalid/broken.yaml" fails with "fixtures/invalid/broken.yaml: document 1: invalid YAML at line 10 column 6: did not find expected '-' indicator"

  Scenario: A missing file
    Then applying "fixtures/does-not-exist.yaml" fails with "fixtures/does-not-exist.yaml: no such file or directory"

  Scenario: A document without a kind
    Then applying "fixtures/invalid/no-kind.yaml" fails with "fixtures/invalid/no-kind.yaml: document 1: kind: Required value: kind must be set"

  Scenario: A kind under the wrong apiVersion
    Then applying "fixtures/invalid/wrong-api-version.yaml" fails with "no kind "Deployment" is registered for version "v1" (this kind is served as apiVersion "apps/v1")"

  Scenario: An invalid Pod is refused by the API server with its field path
    Then applying "fixtures/invalid/pod-without-image.yaml" fails with "fixtures/invalid/pod-without-image.yaml: document 1: Pod "no-image" is invalid: spec.containers[0].image: Required value"
    And 0 pods matching "" are Pending

  Scenario: An invalid object in a doc string
    Then applying this fails with "<doc string>: document 1: ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required":
      """
      apiVersion: v1
      kind: ConfigMap
      metadata: {}
      data: {a: b}
      """
