//! Self-serve onboarding in a real headless Chromium: a business signs up, lands on the guided
//! setup, switches on two ready missions and the ready wheel, and its club is there. A refused
//! sign-up names its field and leaves nothing behind; a closed installation offers no sign-up.

mod common;

use common::browser::Browser;

#[tokio::test]
async fn a_business_signs_up_and_walks_the_guided_setup() {
    for app in common::apps().await {
        let tag = app.backend;
        let closed = reqwest::get(format!("{}/admin/sign-up", app.base)).await.unwrap();
        assert_eq!(closed.status(), 404, "{tag}: sign-up is closed unless the operator opens it");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = philia_web::AppState::new(app.engine.clone(), None).with_signup(true);
        tokio::spawn(philia_web::serve(state, listener));
        let b = Browser::start(1280, 1600).await;

        // A password too short is named beside its field; nothing is created.
        b.goto(&format!("{base}/admin/sign-up")).await;
        b.fill("#f-business", "کافه لاله").await;
        b.fill("#f-slug", "Laleh").await;
        b.fill("#f-name", "لاله کریمی").await;
        b.fill("#f-email", "laleh@cafe.example").await;
        b.fill("#f-password", "short").await;
        b.submit("#sign-up button[type=submit]").await;
        assert!(b.text("#f-password-error").await.contains("۱۰"), "{tag}");
        assert_eq!(
            b.eval("return document.querySelector('#f-business').value").await,
            "کافه لاله",
            "{tag}: what was typed is kept"
        );
        assert!(app.engine.tenant("laleh").await.is_err(), "{tag}: a refused sign-up leaves nothing");

        b.fill("#f-password", "a long enough password").await;
        b.submit("#sign-up button[type=submit]").await;
        assert_eq!(b.path().await, "/admin/setup", "{tag}: signed in and on the guided setup");
        let ctx = app.engine.tenant("laleh").await.unwrap();
        assert_eq!(ctx.plan, philia_domain::plans::Plan::Economic, "{tag}");
        assert_eq!(b.eval("return document.querySelector('#step-programme').dataset.done").await, "yes");
        assert_eq!(b.eval("return document.querySelector('#step-missions').dataset.done").await, "no");
        assert!(b.text("#progress").await.contains("۱ / ۶"), "{tag}: {}", b.text("#progress").await);

        // Two ready missions and the wheel, in place.
        b.click("#step-missions input[value=first-purchase]").await;
        b.click("#step-missions input[value=invite-a-friend]").await;
        b.submit("#step-missions button[type=submit]").await;
        assert_eq!(b.eval("return document.querySelector('#step-missions').dataset.done").await, "yes", "{tag}");
        b.submit("form[action='/admin/setup/games/wheel'] button").await;
        assert_eq!(b.eval("return document.querySelector('#step-games').dataset.done").await, "yes", "{tag}");
        let ticked = b.eval("return document.querySelector('#step-missions input[value=first-purchase]').disabled").await;
        assert_eq!(ticked, true, "{tag}: a mission switched on is shown as on");
        assert!(b.text("#progress").await.contains("۳ / ۶"), "{tag}");
        b.screenshot(&format!("setup-fa-{tag}")).await;
        let missions: Vec<String> = app.engine.missions(&ctx).await.unwrap().into_iter().map(|m| m.mission.code).collect();
        assert_eq!(missions.len(), 2, "{tag}: {missions:?}");
        assert_eq!(app.engine.games(&ctx).await.unwrap().len(), 1, "{tag}");

        // The club is live at its address, under the business's name.
        b.goto(&format!("{base}/club/laleh")).await;
        assert!(b.eval("return document.body.innerText").await.as_str().unwrap().contains("کافه لاله"), "{tag}");
        b.quit().await;
        app.finish().await;
    }
}
