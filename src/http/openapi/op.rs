//! A compact description of one API operation, turned into an OpenAPI operation.
//!
//! The spec is a table of `Op`s (one per method + path, see `paths/`) rather than
//! `#[utoipa::path]` attributes on handlers, so documenting a route never touches its handler.

use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Content, Ref, RefOr, Required, ResponseBuilder};
use utoipa::ToSchema;

/// Name of the shared error-envelope schema every 4xx/5xx response points at.
pub const ERROR_SCHEMA: &str = "ErrorEnvelope";
/// Name of the bearer-JWT security scheme.
pub const BEARER: &str = "bearerAuth";

/// Who may call an operation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    Public,
    Bearer,
    Admin,
}

/// A query parameter's JSON type.
#[derive(Clone, Copy, Debug)]
pub enum Param {
    Str,
    Int,
    Num,
    Bool,
}

/// One documented operation (method + path) with its schemas.
pub struct Op {
    pub method: HttpMethod,
    pub path: &'static str,
    tag: &'static str,
    summary: &'static str,
    description: Option<&'static str>,
    access: Access,
    query: Vec<(&'static str, Param, &'static str)>,
    body: Option<(Vec<&'static str>, RefOr<Schema>, bool)>,
    ok_status: u16,
    ok: Option<(&'static str, RefOr<Schema>)>,
    errors: Vec<u16>,
    /// Component schemas this operation references (collected into `components`).
    pub schemas: Vec<(String, RefOr<Schema>)>,
    pub gen_ok_type: Option<String>,
    pub gen_ok_list: bool,
    pub gen_ok_ct: Option<&'static str>,
    pub gen_body_type: Option<String>,
}

fn op(method: HttpMethod, path: &'static str, tag: &'static str, summary: &'static str) -> Op {
    Op {
        method,
        path,
        tag,
        summary,
        description: None,
        access: Access::Bearer,
        query: Vec::new(),
        body: None,
        ok_status: 200,
        ok: None,
        errors: Vec::new(),
        schemas: Vec::new(),
        gen_ok_type: None,
        gen_ok_list: false,
        gen_ok_ct: None,
        gen_body_type: None,
    }
}

pub fn get(path: &'static str, tag: &'static str, summary: &'static str) -> Op {
    op(HttpMethod::Get, path, tag, summary)
}
pub fn post(path: &'static str, tag: &'static str, summary: &'static str) -> Op {
    op(HttpMethod::Post, path, tag, summary)
}
pub fn put(path: &'static str, tag: &'static str, summary: &'static str) -> Op {
    op(HttpMethod::Put, path, tag, summary)
}
pub fn delete(path: &'static str, tag: &'static str, summary: &'static str) -> Op {
    op(HttpMethod::Delete, path, tag, summary)
}

/// A `$ref` to `T`, remembering `T` (and what it nests) for the components section.
fn reference<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) -> RefOr<Schema> {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
    RefOr::Ref(Ref::from_schema_name(T::name()))
}

impl Op {
    pub fn public(mut self) -> Self {
        self.access = Access::Public;
        self
    }
    pub fn admin(mut self) -> Self {
        self.access = Access::Admin;
        self
    }
    pub fn access(&self) -> Access {
        self.access
    }
    pub fn describe(mut self, text: &'static str) -> Self {
        self.description = Some(text);
        self
    }
    pub fn query(mut self, name: &'static str, kind: Param, description: &'static str) -> Self {
        self.query.push((name, kind, description));
        self
    }
    /// A required JSON request body of schema `T`.
    pub fn body<T: ToSchema>(self) -> Self {
        self.body_as::<T>(&["application/json"], true)
    }
    /// An optional JSON request body (e.g. `{reason?}` on bot actions).
    pub fn optional_body<T: ToSchema>(self) -> Self {
        self.body_as::<T>(&["application/json"], false)
    }
    /// A request body of schema `T` accepted in several content types.
    pub fn body_as<T: ToSchema>(mut self, types: &[&'static str], required: bool) -> Self {
        self.gen_body_type = Some(std::any::type_name::<T>().replace("amarktai::", "crate::"));
        let schema = reference::<T>(&mut self.schemas);
        self.body = Some((types.to_vec(), schema, required));
        self
    }
    /// 200 (or `status`) with a JSON body of schema `T`.
    pub fn ok<T: ToSchema>(mut self) -> Self {
        self.gen_ok_type = Some(std::any::type_name::<T>().replace("amarktai::", "crate::"));
        let schema = reference::<T>(&mut self.schemas);
        self.ok = Some(("application/json", schema));
        self
    }
    /// 200 with a JSON array of `T`.
    pub fn ok_list<T: ToSchema>(mut self) -> Self {
        self.gen_ok_type = Some(std::any::type_name::<T>().replace("amarktai::", "crate::"));
        self.gen_ok_list = true;
        let item = reference::<T>(&mut self.schemas);
        let array = ArrayBuilder::new().items(item).build();
        self.ok = Some(("application/json", RefOr::T(Schema::Array(array))));
        self
    }
    /// 200 with a non-JSON body (HTML, JavaScript, Prometheus text, an event stream).
    pub fn ok_raw(mut self, content_type: &'static str) -> Self {
        self.gen_ok_ct = Some(content_type);
        let text = ObjectBuilder::new().schema_type(Type::String).build();
        self.ok = Some((content_type, RefOr::T(Schema::Object(text))));
        self
    }
    pub fn status(mut self, status: u16) -> Self {
        self.ok_status = status;
        self
    }
    /// Error statuses beyond the ones implied by access, path ids and bodies.
    pub fn errors(mut self, statuses: &[u16]) -> Self {
        self.errors.extend_from_slice(statuses);
        self
    }

    /// The error statuses this operation documents, in ascending order.
    fn error_statuses(&self) -> Vec<u16> {
        let mut all = self.errors.clone();
        if self.access != Access::Public {
            all.push(401);
        }
        if self.access == Access::Admin {
            all.push(403);
        }
        if self.path.contains('{') {
            all.push(404);
        }
        if self.body.is_some() {
            all.extend([413, 422]);
        }
        all.push(429);
        all.push(500);
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Builds the OpenAPI operation object.
    pub fn build(&self) -> utoipa::openapi::path::Operation {
        let id = operation_id(self.method.clone(), self.path);
        let mut b = OperationBuilder::new()
            .tag(self.tag)
            .summary(Some(self.summary))
            .description(self.description)
            .operation_id(Some(id));
        for name in path_params(self.path) {
            b = b.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(scalar(Param::Str))),
            );
        }
        for (name, kind, description) in &self.query {
            b = b.parameter(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .description(Some(*description))
                    .schema(Some(scalar(*kind))),
            );
        }
        if let Some((types, schema, required)) = &self.body {
            let mut rb = RequestBodyBuilder::new().required(Some(if *required {
                Required::True
            } else {
                Required::False
            }));
            for t in types {
                rb = rb.content(*t, Content::new(Some(schema.clone())));
            }
            b = b.request_body(Some(rb.build()));
        }
        let mut ok = ResponseBuilder::new().description(status_text(self.ok_status));
        if let Some((content_type, schema)) = &self.ok {
            ok = ok.content(*content_type, Content::new(Some(schema.clone())));
        }
        b = b.response(self.ok_status.to_string(), ok.build());
        for status in self.error_statuses() {
            let envelope = RefOr::Ref(Ref::from_schema_name(ERROR_SCHEMA));
            let response = ResponseBuilder::new()
                .description(status_text(status))
                .content("application/json", Content::new(Some(envelope)))
                .build();
            b = b.response(status.to_string(), response);
        }
        if self.access != Access::Public {
            b = b.security(SecurityRequirement::new(BEARER, Vec::<String>::new()));
        }
        b.build()
    }
}

fn scalar(kind: Param) -> Schema {
    let t = match kind {
        Param::Str => Type::String,
        Param::Int => Type::Integer,
        Param::Num => Type::Number,
        Param::Bool => Type::Boolean,
    };
    Schema::Object(ObjectBuilder::new().schema_type(t).build())
}

/// The `{name}` segments of a path template.
pub fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// A stable, unique operation id such as `post_api_bots_id_start`.
fn operation_id(method: HttpMethod, path: &str) -> String {
    let verb = match method {
        HttpMethod::Get => "get",
        HttpMethod::Post => "post",
        HttpMethod::Put => "put",
        HttpMethod::Delete => "delete",
        HttpMethod::Patch => "patch",
        HttpMethod::Head => "head",
        HttpMethod::Options => "options",
        HttpMethod::Trace => "trace",
    };
    let slug: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let slug = slug
        .split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>();
    format!("{verb}_{}", slug.join("_"))
}

fn status_text(status: u16) -> String {
    let text = match status {
        200 => "OK",
        201 => "Created",
        101 => "Switching Protocols (WebSocket)",
        400 => "Bad request (error.code says why)",
        401 => "Missing, invalid, expired or revoked token",
        403 => "Authenticated but not allowed",
        404 => "Not found (or another user's resource)",
        409 => "Conflict",
        413 => "Body too large",
        422 => "Validation failed (error.fields lists the fields)",
        429 => "Rate limited (see Retry-After)",
        500 => "Internal error (generic message; cause is logged)",
        503 => "Service unavailable",
        _ => "Response",
    };
    text.to_string()
}

impl Op {
    pub fn gen_json(&self) -> serde_json::Value {
        let op = self.build();
        let b = self.body.as_ref().map(|(types, _, req)| (types.clone(), *req));
        serde_json::json!({
            "method": serde_json::to_value(&self.method).unwrap(),
            "path": self.path, "tag": self.tag, "summary": self.summary,
            "description": self.description, "access": format!("{:?}", self.access),
            "query": self.query.iter().map(|(n,k,d)| serde_json::json!([n, format!("{:?}", k), d])).collect::<Vec<_>>(),
            "body_type": self.gen_body_type, "body": b,
            "ok_status": self.ok_status, "ok_type": self.gen_ok_type, "ok_list": self.gen_ok_list, "ok_ct": self.gen_ok_ct,
            "errors": self.errors, "operation_id": op.operation_id,
        })
    }
}
