//! The throttling knob: the next n admin requests get 429 with `Retry-After: 1`.

use crate::support::{ADMIN, BAP, BAP_VERSION, start};

#[tokio::test]
async fn throttled_requests_get_429_then_pass() {
    let env = start().await;
    let token = env.admin_token(ADMIN).await;
    let bap = env.admin_token(BAP).await;
    env.emu.seed().throttle_admin_requests(2);
    let first = env.get("api/v1.2/Instances", &token).await;
    first.expect(429);
    assert_eq!(first.header("retry-after"), Some("1"));
    assert_eq!(first.error_code(), "TooManyRequests");
    let second = env
        .get(
            &format!("providers/Microsoft.BusinessAppPlatform/adminApplications?{BAP_VERSION}"),
            &bap,
        )
        .await;
    second.expect(429);
    env.get("api/v1.2/Instances", &token).await.expect(200);
    assert_eq!(env.emu.admin_requests(), 3);
}
