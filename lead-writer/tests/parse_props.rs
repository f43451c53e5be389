//! Arbitrary input never panics the parser, and whatever parses maps within column limits.

use lead_writer::{KeyOptions, Lead, Mapping, TooLong};
use proptest::prelude::*;
use serde_json::Value;

/// Keys the parser knows, in odd spellings, plus unknown ones.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("UserDetails".to_owned()),
        Just("userdetails".to_owned()),
        Just("CustomerInfo".to_owned()),
        Just("first_name".to_owned()),
        Just("LastName".to_owned()),
        Just("Name".to_owned()),
        Just("EMAIL".to_owned()),
        Just("Company".to_owned()),
        Just("LeadSource".to_owned()),
        Just("ActionCode".to_owned()),
        Just("OfferTitle".to_owned()),
        Just("Description".to_owned()),
        "[a-zA-Z _-]{0,8}",
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,400}".prop_map(Value::from),
        "MSFT_TEST_[0-9]{1,5}|[A-Za-z]{1,5}-[A-Z]{1,4}\\|[a-z]{1,5}\\.[a-z]{1,5}"
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Lead::parse(&bytes);
    }

    #[test]
    fn arbitrary_json_parses_or_is_refused_and_maps_within_limits(value in json(), at in any::<i64>()) {
        let body = serde_json::to_vec(&value).unwrap();
        let Ok(lead) = Lead::parse(&body) else { return Ok(()) };
        // What parses survives a store-and-reload: the lead fields unchanged, unknown fields
        // all kept (a float in one may come back in its last digit: serde_json's default float
        // parsing does not round-trip every value; the spool keeps the raw body anyway).
        let stored = serde_json::to_vec(&lead).unwrap();
        let reloaded = Lead::parse(&stored).unwrap();
        let without_extras = |lead: &Lead| Lead {
            extra: Default::default(),
            extra_user_details: Default::default(),
            ..lead.clone()
        };
        prop_assert_eq!(without_extras(&reloaded), without_extras(&lead));
        prop_assert!(reloaded.extra.keys().eq(lead.extra.keys()));
        prop_assert!(reloaded.extra_user_details.keys().eq(lead.extra_user_details.keys()));
        let options = KeyOptions::default();
        let key = lead.idempotency_key(at, &options);
        prop_assert_eq!(key, reloaded.idempotency_key(at, &options));

        let mapping = Mapping::default();
        let columns = mapping.to_columns(&lead, &key).unwrap();
        for (column, value) in &columns {
            if let (Some(max), Some(text)) = (mapping.max_lengths.get(column), value.as_str()) {
                prop_assert!(text.encode_utf16().count() <= *max, "{} over {}", column, max);
            }
        }
        let mut refuse = Mapping::default();
        refuse.on_too_long = TooLong::Refuse;
        if let Err(err) = refuse.to_columns(&lead, &key) {
            prop_assert_eq!(err.code(), "value_too_long");
        }
    }
}
