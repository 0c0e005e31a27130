"""The JSON API's contract (design section 8): the OpenAPI document of /api/v1."""
