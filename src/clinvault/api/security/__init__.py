"""Bearer-token authentication (:mod:`.jwt`) and SMART on FHIR v2 scopes (:mod:`.scopes`)."""
