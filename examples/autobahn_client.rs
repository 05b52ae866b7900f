//! The client side of Autobahn|Testsuite: runs every case of a `fuzzingserver`
//! against weft-ws's client.
//!
//! ```sh
//! cargo run --release --example autobahn_client ws://127.0.0.1:9001 weft
//! ```
//!
//! The suite's protocol: `GET /getCaseCount` sends the number of cases as a text
//! message; `/runCase?case=N&agent=AGENT` runs case N, the client echoing every
//! message until the server closes; `/updateReports?agent=AGENT` writes the
//! reports. `cargo xtask autobahn` runs this against `wstest -m fuzzingserver`.

use weft::ws::{connect_with, Config, ConnectOptions, Error};

fn options() -> ConnectOptions {
    ConnectOptions::new().config(
        Config::new()
            .max_size(Some(64 << 20))
            .write_limit(64 << 20)
            .read_buffer(64 * 1024)
            .ping_interval(None),
    )
}

async fn run_case(base: &str, case: u32, agent: &str) -> Result<(), Error> {
    let mut ws = connect_with(
        &format!("{base}/runCase?case={case}&agent={agent}"),
        &options(),
    )
    .await?;
    // Echo until the server closes (or fails) the connection.
    while let Ok(msg) = ws.recv().await {
        if ws.send(msg).await.is_err() {
            break;
        }
    }
    Ok(())
}

#[weft::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "ws://127.0.0.1:9001".to_owned());
    let base = base.trim_end_matches('/').to_owned();
    let agent = args.next().unwrap_or_else(|| "weft".to_owned());

    let mut ws = connect_with(&format!("{base}/getCaseCount"), &options()).await?;
    let count: u32 = ws.recv().await?.to_text()?.trim().parse()?;
    ws.close(1000, "").await?;
    println!("{count} cases");

    for case in 1..=count {
        if let Err(e) = run_case(&base, case, &agent).await {
            eprintln!("case {case}: {e}");
        }
    }

    let ws = connect_with(&format!("{base}/updateReports?agent={agent}"), &options()).await?;
    ws.close(1000, "").await?;
    println!("reports updated");
    Ok(())
}
