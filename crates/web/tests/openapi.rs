//! The OpenAPI document is snapshot-tested: any change to the API shows up in review.

#[test]
fn openapi_document_matches_the_snapshot() {
    let doc = serde_json::to_value(philia_web::openapi::document()).unwrap();
    insta::assert_json_snapshot!("openapi", doc);
}

#[test]
fn every_operation_documents_its_responses() {
    let doc = serde_json::to_value(philia_web::openapi::document()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 20, "{} paths", paths.len());
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path} documents no response");
            assert!(op.get("tags").is_some(), "{method} {path} has no tag");
        }
    }
}
