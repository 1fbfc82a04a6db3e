//! The console in a real browser: Debian's `chromium` driven over WebDriver by
//! `chromedriver` (through `fantoccini`), with the waits and reads the console's tests
//! and its page-load benchmark share.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How often a wait looks again.
pub const POLL: Duration = Duration::from_millis(10);
/// How long a page may take to show what is waited for.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// Whether Debian's chromium and chromedriver are installed.
pub fn available() -> bool {
    Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists()
}

/// Where screenshots go: `target/console-screenshots/`.
pub fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots")
}

/// chromedriver on a free loopback port, killed when dropped.
#[derive(Debug)]
pub struct Driver {
    _process: tokio::process::Child,
    url: String,
}

pub async fn start_driver() -> anyhow::Result<Driver> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let process = tokio::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting chromedriver")?;
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(Driver {
                _process: process,
                url,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("chromedriver did not listen on {port}")
}

/// A headless Chromium session with a fresh profile in `profile`.
pub async fn browser(driver: &Driver, profile: &Path) -> anyhow::Result<Client> {
    let capabilities = json!({
        "browserName": "chrome",
        "unhandledPromptBehavior": "ignore",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let Value::Object(capabilities) = capabilities else {
        anyhow::bail!("capabilities are an object");
    };
    Ok(ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await?)
}

/// A browser on the console of the server at `address`: chromedriver, a fresh profile
/// and the session, kept together (dropping it stops chromedriver).
#[derive(Debug)]
pub struct Session {
    pub console: Console,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Session {
    pub async fn start(address: std::net::SocketAddr) -> anyhow::Result<Self> {
        let driver = start_driver().await?;
        let profile = tempfile::tempdir()?;
        let shots = screenshots_dir();
        std::fs::create_dir_all(&shots)?;
        let console = Console {
            client: browser(&driver, profile.path()).await?,
            base: format!("http://{address}"),
            shots,
        };
        Ok(Self {
            console,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Ends the browser session.
    pub async fn close(self) -> anyhow::Result<()> {
        self.console.client.close().await?;
        Ok(())
    }
}

/// The browser session with what the test does to it.
#[derive(Debug)]
pub struct Console {
    pub client: Client,
    /// The server's origin, `http://127.0.0.1:port`.
    pub base: String,
    pub shots: PathBuf,
}

impl Console {
    pub async fn open(&self, hash: &str) -> anyhow::Result<()> {
        self.client
            .goto(&format!("{}/console#{hash}", self.base))
            .await?;
        Ok(())
    }

    /// Waits for `css` to match; the element.
    pub async fn wait(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(PATIENCE)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for `{css}`"))
    }

    /// Waits for page `name` to have loaded its data.
    pub async fn page(&self, name: &str) -> anyhow::Result<()> {
        self.wait(&format!(r#"#page[data-page="{name}"][data-ready="true"]"#))
            .await?;
        Ok(())
    }

    pub async fn count(&self, css: &str) -> anyhow::Result<usize> {
        Ok(self.client.find_all(Locator::Css(css)).await?.len())
    }

    /// The visible text of the element `css` matches, once there is one. Read by a
    /// script, so an element the page has just redrawn is read afresh, never stale.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        self.wait(css).await?;
        let text = self
            .client
            .execute(
                "const found = document.querySelector(arguments[0]);
                 return found ? found.innerText : '';",
                vec![json!(css)],
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    pub async fn fill(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let input = self.wait(css).await?;
        input.clear().await?;
        input.send_keys(value).await?;
        Ok(())
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.wait(css).await?.click().await?;
        Ok(())
    }

    /// Waits until `css`'s text satisfies `test`; that text.
    pub async fn text_until(
        &self,
        css: &str,
        test: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let text = self.text(css).await?;
            if test(&text) {
                return Ok(text);
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "`{css}` still reads {text:?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until `css` matches at least one element; how many it matches.
    pub async fn some(&self, css: &str) -> anyhow::Result<usize> {
        self.wait(css).await?;
        self.count(css).await
    }

    /// Scrolls the element `css` matches into view (for the screenshot that follows).
    pub async fn show(&self, css: &str) -> anyhow::Result<()> {
        self.wait(css).await?;
        self.client
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
                vec![json!(css)],
            )
            .await?;
        Ok(())
    }

    pub async fn screenshot(&self, name: &str) -> anyhow::Result<()> {
        let png = self.client.screenshot().await?;
        std::fs::write(self.shots.join(format!("{name}.png")), png)?;
        Ok(())
    }

    /// Records script errors and CSP violations from now on (the page is one document:
    /// routes change the hash, never reload it).
    pub async fn watch_errors(&self) -> anyhow::Result<()> {
        self.client
            .execute(
                "window.__consoleErrors = [];
                 window.addEventListener('error', (e) => window.__consoleErrors.push(String(e.message)));
                 window.addEventListener('unhandledrejection', (e) => window.__consoleErrors.push(String(e.reason)));
                 document.addEventListener('securitypolicyviolation',
                     (e) => window.__consoleErrors.push('CSP: ' + e.violatedDirective));",
                vec![],
            )
            .await?;
        Ok(())
    }

    pub async fn errors(&self) -> anyhow::Result<Value> {
        Ok(self
            .client
            .execute("return window.__consoleErrors || null;", vec![])
            .await?)
    }

    pub async fn sign_in(&self, token: &str, landing: &str) -> anyhow::Result<()> {
        self.open("/signin").await?;
        self.page("signin").await?;
        self.watch_errors().await?;
        self.fill("#token", token).await?;
        self.click("#sign-in").await?;
        self.page(landing).await
    }
}
