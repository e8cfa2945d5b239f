//! Every `#[tool(...)]` key, and a tool inside a module used from outside it.

use mcp_server::Tool;

mod tools {
    use mcp_server::tool;

    /// Delete a record.
    ///
    /// Irreversible.
    #[tool(
        name = "delete-record",
        title = "Delete record",
        description = "Deletes one record by id.",
        read_only = false,
        destructive,
        idempotent = true,
        open_world = false,
        auth,
        roles = ["admin", "ops"],
        scopes = ["records:write"],
    )]
    pub async fn delete_record(id: u64) -> Result<String, std::io::Error> {
        Ok(format!("deleted {id}"))
    }
}

fn main() {
    let definition = tools::DeleteRecordTool.definition();
    let info = &definition.info;
    assert_eq!(&*info.name, "delete-record");
    assert_eq!(info.title.as_deref(), Some("Delete record"));
    assert_eq!(info.description, "Deletes one record by id.");
    let a = &info.annotations;
    assert_eq!(
        (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint),
        (Some(false), Some(true), Some(true), Some(false))
    );
    assert!(definition.auth);
    assert_eq!(definition.roles, ["admin", "ops"]);
    assert_eq!(definition.scopes, ["records:write"]);
}
