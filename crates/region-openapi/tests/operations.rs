//! The operation table (`OperationId`, `OperationSpec`) and `OperationId::resolve` across all
//! 74 operations of the region API: every template resolves back to its own operation with
//! its parameters, the way the platform's router matches the once-decoded path.

use http::Method;
use region_openapi::{OperationId, OperationSpec, uuid::Uuid};

/// A reference as the platform's router sees it: escaped twice by the client, decoded once.
const REFERENCE: &str = "kubernetesclusters.kubernetes.unikorn-cloud.org%2Fabc";

const METHODS: [Method; 5] = [
    Method::GET,
    Method::PUT,
    Method::POST,
    Method::DELETE,
    Method::PATCH,
];

/// The `{name}`s of `template`, in order.
fn placeholders(template: &str) -> Vec<&str> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// `template` with each parameter replaced: UUIDs by distinct UUIDs, texts by `text`.
fn concrete(operation: OperationId, text: &str) -> (String, Vec<(&'static str, String)>) {
    let spec = operation.spec();
    let mut values = Vec::new();
    let mut path = spec.path.to_owned();
    for (index, param) in spec.path_params.iter().enumerate() {
        let value = if param.uuid {
            Uuid::from_u128(0x1000 + index as u128).to_string()
        } else {
            text.to_owned()
        };
        path = path.replace(&format!("{{{}}}", param.name), &value);
        values.push((param.name, value));
    }
    (path, values)
}

#[test]
fn the_table_has_the_74_operations_sorted_by_operation_id() {
    assert_eq!(OperationId::ALL.len(), 74);
    let names: Vec<&str> = OperationId::ALL.iter().map(|o| o.name()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted);
    for operation in OperationId::ALL.iter().copied() {
        let spec = operation.spec();
        assert_eq!(spec.id, operation.name());
        assert_eq!(operation.to_string(), spec.id);
        assert_eq!(OperationId::from_name(spec.id), Some(operation));
        let declared: Vec<&str> = spec.path_params.iter().map(|p| p.name).collect();
        assert_eq!(declared, placeholders(spec.path), "{operation}");
        assert!(spec.statuses.is_sorted(), "{operation}");
        let successes = spec.statuses.iter().filter(|s| s.is_success()).count();
        assert_eq!(successes, 1, "{operation}");
        assert_eq!(
            spec.success().map(|s| s.is_success()),
            Some(true),
            "{operation}"
        );
    }
    assert_eq!(OperationId::from_name("noSuchOperation"), None);
    // A few rows, as the spec writes them.
    let create = OperationId::CreateNetworkV2.spec();
    assert_eq!(
        (create.method.clone(), create.path, create.body),
        (Method::POST, "/api/v2/networks", Some("NetworkV2Create"))
    );
    let delete = OperationId::DeleteNetworkV2.spec();
    assert_eq!(delete.body, None);
    assert_eq!(delete.path_params.len(), 1);
    assert!(delete.path_params[0].uuid);
    assert_eq!(
        OperationId::GetOpenidProtectedResource.spec().path,
        "/.well-known/openid-protected-resource"
    );
}

/// Every operation, its spec and a concrete path of it (with `REFERENCE` for texts), and the
/// values of its parameters.
fn concrete_paths() -> impl Iterator<
    Item = (
        OperationId,
        &'static OperationSpec,
        String,
        Vec<(&'static str, String)>,
    ),
> {
    OperationId::ALL.iter().map(|operation| {
        let (path, values) = concrete(*operation, REFERENCE);
        (*operation, operation.spec(), path, values)
    })
}

#[test]
fn every_template_resolves_to_its_own_operation_with_its_parameters() {
    for (operation, spec, path, values) in concrete_paths() {
        let (resolved, params) = OperationId::resolve(&spec.method, &path)
            .unwrap_or_else(|| panic!("{operation}: {} {path} resolves to nothing", spec.method));
        assert_eq!(resolved, operation, "{path}");
        let found: Vec<(&str, String)> = params
            .iter()
            .map(|(param, value)| (param.name, value.to_owned()))
            .collect();
        assert_eq!(found, values, "{path}");
        for (name, value) in &values {
            assert_eq!(params.get(name), Some(value.as_str()));
        }

        // The router matches any segment; refusing a parameter that is not a UUID is
        // binding's job (400), after routing.
        let not_uuid = path.replace(&Uuid::from_u128(0x1000).to_string(), "not-a-uuid");
        assert_eq!(
            OperationId::resolve(&spec.method, &not_uuid).map(|(o, _)| o),
            Some(operation),
            "{not_uuid}"
        );
    }
}

#[test]
fn a_path_resolves_only_for_its_methods_and_as_a_whole() {
    for (operation, spec, path, _) in concrete_paths() {
        // Another method of the same path is another operation of the same template, or none.
        for method in METHODS.iter().filter(|m| **m != spec.method) {
            if let Some((other, _)) = OperationId::resolve(method, &path) {
                assert_ne!(other, operation);
                assert_eq!(other.spec().path, spec.path, "{method} {path}");
            }
        }
        // A trailing slash, an extra segment, a bare `/` in a text parameter: not this one.
        let mut others = vec![format!("{path}/"), format!("{path}/x")];
        if spec.path_params.iter().any(|p| !p.uuid) {
            others.push(concrete(operation, "a.b/c").0);
        }
        for other_path in others {
            let resolved = OperationId::resolve(&spec.method, &other_path).map(|(o, _)| o);
            assert_ne!(resolved, Some(operation), "{other_path}");
        }
    }
    assert_eq!(OperationId::resolve(&Method::GET, "/api/v3/networks"), None);
    assert_eq!(OperationId::resolve(&Method::GET, ""), None);
}
