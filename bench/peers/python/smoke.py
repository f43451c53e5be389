"""Conformance check from the other side: Microsoft's Python Dataverse client, unchanged, drives
the emulator over HTTPS with a client secret from the emulator's own sign-in service.

    python smoke.py --base https://127.0.0.1:7070/ --ca /tmp/.../ca.pem

Prints one line per check and "N passed, N failed"; exits 1 when a check failed. See README.md.
"""

import argparse
import os
import sys
import traceback
import uuid
from enum import IntEnum
from urllib.parse import urlsplit

# The emulator's default seed (see dynamics-emulator/README.md).
TENANT = "c0a7e5a0-0000-4000-8000-000000000001"
CLIENT_ID = "c0a7e5a0-0000-4000-8000-000000000002"
CLIENT_SECRET = "Emu8Q~default-client-secret-0123456789"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=os.environ.get("EMULATOR_URL", "https://127.0.0.1:7070/"))
    parser.add_argument(
        "--ca",
        default=os.environ.get("EMULATOR_CA"),
        help="the CA certificate the emulator wrote at start (PEM); trusted through REQUESTS_CA_BUNDLE",
    )
    return parser.parse_args()


def main():
    args = parse_args()
    if args.ca:
        # Configuration only: both azure-identity and the Dataverse client send through requests,
        # which trusts the bundle named here.
        os.environ["REQUESTS_CA_BUNDLE"] = args.ca
        os.environ["SSL_CERT_FILE"] = args.ca

    from azure.identity import ClientSecretCredential
    from PowerPlatform.Dataverse.client import DataverseClient
    from PowerPlatform.Dataverse.models import col
    from PowerPlatform.Dataverse.models.relationship import ManyToManyRelationshipMetadata

    origin = "{0.scheme}://{0.netloc}".format(urlsplit(args.base))
    credential = ClientSecretCredential(
        TENANT,
        CLIENT_ID,
        CLIENT_SECRET,
        authority=origin,
        disable_instance_discovery=True,
    )
    results = []

    def check(name, body):
        try:
            body()
            results.append((name, None))
            print(f"ok    {name}", flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported, not raised
            results.append((name, error))
            print(f"FAIL  {name}: {type(error).__name__}: {error}", flush=True)
            if os.environ.get("SMOKE_TRACE"):
                traceback.print_exc()

    run = uuid.uuid4().hex[:8]
    state = {}

    with DataverseClient(origin, credential) as client:

        def table_info():
            info = client.tables.get("account")
            assert info is not None, "account is missing"
            assert info["entity_set_name"] == "accounts", info
            assert info["primary_id_attribute"] == "accountid", info
            assert client.tables.get("nosuchtable") is None
            listed = client.tables.list(filter="LogicalName eq 'contact'", select=["LogicalName", "EntitySetName"])
            assert [t["LogicalName"] for t in listed] == ["contact"], listed

        def columns():
            picklists = client.tables.list_columns(
                "account", select=["LogicalName", "AttributeType"], filter="AttributeType eq 'Picklist'"
            )
            names = {c["LogicalName"] for c in picklists}
            assert {"industrycode", "accountratingcode", "customertypecode"} <= names, names
            column = client.tables.get_column("account", "donotpostalmail")
            assert column is not None and column["AttributeType"] == "Boolean", column
            assert column["DisplayName"]["UserLocalizedLabel"]["Label"] == "Do not allow Mails", column
            assert client.tables.get_column("account", "nosuchcolumn") is None

        def relationships():
            relationship = client.tables.get_relationship("Account_Tasks")
            assert relationship is not None, "Account_Tasks is missing"
            assert relationship.referencing_entity == "task", relationship
            assert client.tables.get_relationship("no_such_relationship") is None
            names = {r["SchemaName"] for r in client.tables.list_table_relationships("account")}
            assert {"Account_Tasks", "account_primary_contact"} <= names, names

        def create():
            # Choice labels are resolved to values by the client through the picklist metadata.
            state["id"] = client.records.create(
                "account",
                {"name": f"Contoso {run}", "industrycode": "Consulting", "accountratingcode": "Default Value"},
            )
            uuid.UUID(state["id"])

        def retrieve():
            account = client.records.retrieve(
                "account",
                state["id"],
                select=["name", "industrycode", "accountratingcode"],
                include_annotations="OData.Community.Display.V1.FormattedValue",
            )
            assert account is not None
            assert account["name"] == f"Contoso {run}", account
            assert account["industrycode"] == 7, account
            assert account["accountratingcode"] == 1, account
            formatted = account["industrycode@OData.Community.Display.V1.FormattedValue"]
            assert formatted == "Consulting", formatted

        def update():
            client.records.update(
                "account", state["id"], {"telephone1": "555-0199", "industrycode": "Financial", "donotpostalmail": True}
            )
            account = client.records.retrieve(
                "account", state["id"], select=["telephone1", "industrycode", "donotpostalmail"]
            )
            assert account["telephone1"] == "555-0199", account
            assert account["industrycode"] == 16, account
            assert account["donotpostalmail"] is True, account

        def query():
            for i in range(12):
                client.records.create(
                    "account", {"name": f"Paged {run} {i:02}", "numberofemployees": i, "accountnumber": run}
                )
            results = (
                client.query.builder("account")
                .select("name", "numberofemployees")
                .where(col("accountnumber") == run)
                .where(col("numberofemployees") >= 3)
                .order_by("numberofemployees", descending=True)
                .top(5)
                .execute()
            )
            numbers = [r["numberofemployees"] for r in results]
            assert numbers == [11, 10, 9, 8, 7], numbers

        def paging():
            pages = list(
                client.query.builder("account")
                .select("name")
                .where(col("accountnumber") == run)
                .order_by("name")
                .page_size(5)
                .execute_pages()
            )
            sizes = [len(page) for page in pages]
            assert sizes == [5, 5, 2], sizes
            names = [r["name"] for page in pages for r in page]
            assert names == sorted(names) and len(set(names)) == 12, names

        def batch():
            request = client.batch.new()
            with request.changeset() as changes:
                changes.records.create("account", {"name": f"Batch {run} a", "accountnumber": f"b{run}"})
                changes.records.create("account", {"name": f"Batch {run} b", "accountnumber": f"b{run}"})
            result = request.execute()
            assert not result.has_errors, [r.error_message for r in result.failed]
            found = client.query.builder("account").select("name").where(col("accountnumber") == f"b{run}").execute()
            assert len(found) == 2, len(found)

        def create_many():
            # A list becomes one CreateMultiple request; the answer's Ids come back in order.
            ids = client.records.create(
                "account",
                [{"name": f"Bulk {run} {i}", "accountnumber": f"m{run}", "industrycode": "Consulting"} for i in range(3)],
            )
            assert len(ids) == 3 and len({uuid.UUID(i) for i in ids}) == 3, ids
            state["bulk"] = ids
            for i, rid in enumerate(ids):
                account = client.records.retrieve("account", rid, select=["name", "industrycode"])
                assert account["name"] == f"Bulk {run} {i}", account
                assert account["industrycode"] == 7, account

        def update_many():
            # A list of IDs becomes one UpdateMultiple request (broadcast, then paired changes).
            ids = state["bulk"]
            client.records.update("account", ids, {"telephone1": "555-0142"})
            client.records.update("account", ids[:2], [{"name": f"Renamed {run} a"}, {"name": f"Renamed {run} b"}])
            found = (
                client.query.builder("account")
                .select("name", "telephone1")
                .where(col("accountnumber") == f"m{run}")
                .order_by("name")
                .execute()
            )
            rows = [(r["name"], r["telephone1"]) for r in found]
            expected = [(f"Bulk {run} 2", "555-0142"), (f"Renamed {run} a", "555-0142"), (f"Renamed {run} b", "555-0142")]
            assert rows == expected, rows

        def dataframe_create():
            import pandas as pd

            frame = pd.DataFrame(
                [
                    {"name": f"Frame {run} a", "accountnumber": f"f{run}", "numberofemployees": 5},
                    {"name": f"Frame {run} b", "accountnumber": f"f{run}", "numberofemployees": None},
                ],
                index=[10, 20],
            )
            created = client.dataframe.create("account", frame)
            assert list(created.index) == [10, 20], created
            for index, rid in created.items():
                account = client.records.retrieve("account", rid, select=["name", "numberofemployees"])
                assert account["name"] == frame.loc[index, "name"], account
            second = client.records.retrieve("account", created[20], select=["numberofemployees"])
            assert second["numberofemployees"] is None, second

        def delete():
            client.records.delete("account", state["id"])
            assert client.records.retrieve("account", state["id"]) is None

        # Table definitions: the client's own calls (tables.create sends the CreateEntities action
        # with ComplexEntityMetadata), then its other table operations on the new table.
        schema = f"new_Smoke{run}"
        logical = schema.lower()

        class Size(IntEnum):
            SMALL = 1
            LARGE = 2

        def define_table():
            info = client.tables.create(
                schema,
                {"new_Title": "string", "new_Price": "decimal", "new_Size": Size},
                primary_column="new_Name",
                display_name=f"Smoke {run}",
            )
            assert info["table_logical_name"] == logical, info
            names = {c["LogicalName"] for c in client.tables.list_columns(schema, select=["LogicalName"])}
            assert {"new_name", "new_title", "new_price", "new_size"} <= names, names
            row = client.records.create(logical, {"new_name": "first", "new_size": Size.LARGE.value})
            assert client.records.retrieve(logical, row)["new_size"] == Size.LARGE.value

        def columns_add_remove():
            created = client.tables.add_columns(schema, {"new_Code": "string", "new_Count": "int"})
            assert sorted(created) == ["new_Code", "new_Count"], created
            names = {c["LogicalName"] for c in client.tables.list_columns(schema, select=["LogicalName"])}
            assert {"new_code", "new_count"} <= names, names
            removed = client.tables.remove_columns(schema, ["new_Count"])
            assert removed == ["new_Count"], removed
            assert client.tables.get_column(schema, "new_count") is None

        def alternate_keys():
            client.tables.create_alternate_key(schema, "new_code_key", ["new_code"])
            keys = client.tables.get_alternate_keys(schema)
            assert [k.schema_name for k in keys] == ["new_code_key"], keys
            assert keys[0].key_attributes == ["new_code"], keys
            # The ID create_alternate_key returns is the first GUID of OData-EntityId, which is
            # the table's (EntityDefinitions(<table>)/Keys(<key>)); the listed key's own ID is used.
            client.tables.delete_alternate_key(schema, keys[0].metadata_id)
            assert client.tables.get_alternate_keys(schema) == []

        def lookup():
            made = client.tables.create_lookup_field(logical, "new_AccountId", "account", display_name="Account")
            state["lookup"] = made
            found = client.tables.get_relationship(made.relationship_schema_name)
            assert found is not None and found.referencing_entity == logical, found
            account = client.records.create("account", {"name": f"Parent {run}"})
            child = client.records.create(
                logical, {"new_name": f"Child {run}", "new_AccountId@odata.bind": f"/accounts({account})"}
            )
            row = client.records.retrieve(logical, child, select=["_new_accountid_value"])
            assert row["_new_accountid_value"] == account, row

        def many_to_many():
            name = f"new_smoke{run}_contact"
            made = client.tables.create_many_to_many_relationship(
                ManyToManyRelationshipMetadata(
                    schema_name=name, entity1_logical_name=logical, entity2_logical_name="contact"
                )
            )
            found = client.tables.get_relationship(name)
            assert found is not None and found.relationship_id == made.relationship_id, found
            client.tables.delete_relationship(made.relationship_id)
            assert client.tables.get_relationship(name) is None

        def delete_table():
            client.tables.delete_relationship(state["lookup"].relationship_id)
            assert client.tables.get_column(schema, "new_accountid") is None
            client.tables.delete(schema)
            assert client.tables.get(schema) is None

        check("table info", table_info)
        check("column metadata", columns)
        check("relationship metadata", relationships)
        check("create (choice labels)", create)
        check("retrieve", retrieve)
        check("update", update)
        check("query select/filter/orderby/top", query)
        check("paging", paging)
        check("batch changeset", batch)
        check("create many (CreateMultiple)", create_many)
        check("update many (UpdateMultiple)", update_many)
        check("dataframe create (CreateMultiple)", dataframe_create)
        check("delete", delete)
        check("create a table (tables.create, CreateEntities)", define_table)
        check("add and remove columns", columns_add_remove)
        check("alternate key create/list/delete", alternate_keys)
        check("lookup (one-to-many relationship)", lookup)
        check("many-to-many create/get/delete", many_to_many)
        check("delete relationship and table", delete_table)

    failed = sum(1 for _, error in results if error is not None)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
