//! Actions (POST) and functions (GET), unbound or bound to a row:
//! `client.action("WinOpportunity").body(&params).await`,
//! `client.function("RetrieveVersion").await`.

use std::fmt;

use dynamics_http::{HttpResponse, Method};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::client::DataverseClient;
use crate::error::{DataverseError, Result};
use crate::key::RecordKey;
use crate::options::RequestOptions;
use crate::query::{Literal, check_column, checked_name};
use crate::record::field_only;

impl DataverseClient {
    /// An action (`POST {name}`, or `POST {set}({key})/{name}` once
    /// [`Action::bound_to`] a row). The name may be namespaced
    /// (`Microsoft.Dynamics.CRM.WinOpportunity`). Awaited, it answers the action's JSON, or
    /// `Null` for an action that returns nothing (204).
    pub fn action(&self, name: impl Into<String>) -> Action {
        Action {
            client: self.clone(),
            name: name.into(),
            bound_to: None,
            body: Ok(Value::Object(serde_json::Map::new())),
            options: RequestOptions::default(),
        }
    }

    /// A function (`GET {name}(...)`, or bound to a row with [`Function::bound_to`]), with
    /// its parameters passed as aliases ([`Function::parameter`]) so their values are written
    /// as safe literals. Awaited, it answers the function's JSON.
    pub fn function(&self, name: impl Into<String>) -> Function {
        Function {
            client: self.clone(),
            name: name.into(),
            bound_to: None,
            parameters: Vec::new(),
            options: RequestOptions::default(),
        }
    }

    /// Calls a function (GET). `bound_to` is `Some((entity_set, id))` for a bound function;
    /// parameters are passed as aliases, so their values are written as safe literals.
    /// The same as [`DataverseClient::function`] with its settings.
    pub async fn call_function(
        &self,
        name: &str,
        parameters: &[(&str, Literal)],
        bound_to: Option<(&str, Uuid)>,
        options: &RequestOptions,
    ) -> Result<Value> {
        let mut function = self.function(name).options(options.clone());
        for (param, value) in parameters {
            function = function.parameter(param, value.clone());
        }
        if let Some((set, id)) = bound_to {
            function = function.bound_to(set, id);
        }
        function.send().await
    }

    /// Calls an action (POST) with a JSON body; `bound_to` as for functions. Returns the
    /// answer's JSON, or `Null` for actions that return nothing (204). The same as
    /// [`DataverseClient::action`] with its settings.
    pub async fn call_action(
        &self,
        name: &str,
        body: &impl Serialize,
        bound_to: Option<(&str, Uuid)>,
        options: &RequestOptions,
    ) -> Result<Value> {
        let mut action = self.action(name).body(body).options(options.clone());
        if let Some((set, id)) = bound_to {
            action = action.bound_to(set, id);
        }
        action.send().await
    }
}

/// Calls an action. From [`DataverseClient::action`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct Action {
    client: DataverseClient,
    name: String,
    bound_to: Option<(String, RecordKey)>,
    /// The body, serialised when it was given; a serialisation failure is reported on send.
    body: std::result::Result<Value, String>,
    options: RequestOptions,
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body may hold personal data: only say what is called where.
        f.debug_struct("Action")
            .field("name", &self.name)
            .field("bound_to", &self.bound_to)
            .finish_non_exhaustive()
    }
}

impl Action {
    /// Bind the action to a row (`{entity_set}({key})/{name}`).
    pub fn bound_to(mut self, entity_set: &str, key: impl Into<RecordKey>) -> Self {
        self.bound_to = Some((entity_set.to_string(), key.into()));
        self
    }

    /// The action's parameters, as a JSON object (any serde type or a [`crate::Record`]);
    /// `{}` when never called.
    pub fn body(mut self, body: &impl Serialize) -> Self {
        self.body = serde_json::to_value(body).map_err(|e| field_only(&e));
        self
    }

    request_options!();

    /// Sends the request (the same as awaiting the builder).
    pub async fn send(self) -> Result<Value> {
        let name = check_operation_name(&self.name)?;
        let body = self.body.map_err(|reason| {
            DataverseError::invalid(
                "action body",
                format!("give a value that serialises to JSON ({reason})"),
            )
        })?;
        let path = match &self.bound_to {
            Some((set, key)) => format!(
                "{}{}/{name}",
                checked_name("entity set", set)?,
                key.segment()?
            ),
            None => name,
        };
        let request = self
            .client
            .request(Method::Post, self.client.url(&path)?, &self.options)
            .json(&body)?;
        let response = self.client.send(request).await?;
        parse_optional_json(&response)
    }
}

send_on_await!([] Action => Value, 'static);

/// Calls a function. From [`DataverseClient::function`].
#[must_use = "a builder does nothing until it is awaited or sent"]
pub struct Function {
    client: DataverseClient,
    name: String,
    bound_to: Option<(String, RecordKey)>,
    parameters: Vec<(String, Literal)>,
    options: RequestOptions,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Parameter values may be personal data: list their names only.
        let names: Vec<&str> = self.parameters.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Function")
            .field("name", &self.name)
            .field("bound_to", &self.bound_to)
            .field("parameters", &names)
            .finish_non_exhaustive()
    }
}

impl Function {
    /// Bind the function to a row (`{entity_set}({key})/{name}(...)`).
    pub fn bound_to(mut self, entity_set: &str, key: impl Into<RecordKey>) -> Self {
        self.bound_to = Some((entity_set.to_string(), key.into()));
        self
    }

    /// A parameter, passed as an alias (`Name=@p0` with `@p0=<literal>` in the query).
    pub fn parameter(mut self, name: &str, value: impl Into<Literal>) -> Self {
        self.parameters.push((name.to_string(), value.into()));
        self
    }

    read_options!();

    /// The relative URL of the call, `[{set}({key})/]{name}(P=@p0,...)[?@p0=...]`.
    fn relative_url(&self) -> Result<String> {
        let name = check_operation_name(&self.name)?;
        let mut call = String::new();
        if let Some((set, key)) = &self.bound_to {
            call.push_str(&checked_name("entity set", set)?);
            call.push_str(&key.segment()?);
            call.push('/');
        }
        let mut aliases = Vec::new();
        let mut query = Vec::new();
        for (i, (param, value)) in self.parameters.iter().enumerate() {
            let param = checked_name("function parameter", param)?;
            aliases.push(format!("{param}=@p{i}"));
            query.push(format!(
                "@p{i}={}",
                crate::query::encode::query_value(&value.render()?)
            ));
        }
        call.push_str(&format!("{name}({})", aliases.join(",")));
        if !query.is_empty() {
            call.push('?');
            call.push_str(&query.join("&"));
        }
        Ok(call)
    }

    /// Sends the request (the same as awaiting the builder).
    pub async fn send(self) -> Result<Value> {
        let url = self.client.url(&self.relative_url()?)?;
        let response = self
            .client
            .send(self.client.request(Method::Get, url, &self.options))
            .await?;
        parse_optional_json(&response)
    }
}

send_on_await!([] Function => Value, 'static);

/// Actions and functions may be namespaced (`Microsoft.Dynamics.CRM.WinOpportunity`).
fn check_operation_name(name: &str) -> Result<String> {
    let ok = !name.is_empty() && name.split('.').all(|seg| check_column(seg).is_ok());
    if ok {
        Ok(name.to_string())
    } else {
        Err(DataverseError::invalid(
            "function or action name",
            "use the operation's name, optionally namespaced (Microsoft.Dynamics.CRM.Name)",
        ))
    }
}

fn parse_optional_json(response: &HttpResponse) -> Result<Value> {
    if response.body().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(response.body()).map_err(|e| {
        DataverseError::UnexpectedResponse(format!("the answer is not JSON: {}", field_only(&e)))
    })
}
