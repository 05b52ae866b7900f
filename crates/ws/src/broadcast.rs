//! [`broadcast`]: one message to many connections, never waiting.

use tungstenite::Message;

use crate::Writer;

/// Sends `message` to every connection in `connections` without waiting: Python's
/// `websockets.broadcast`. A connection whose write buffer is over its
/// [`Config::write_limit`](crate::Config::write_limit) (a slow reader) is skipped,
/// as is a closed one, so one slow client cannot hold the others back. Returns how
/// many connections got the message.
///
/// The message is encoded once per connection but its payload is shared
/// ([`Bytes`](crate::Bytes)), not copied.
///
/// ```
/// use weft_ws::{broadcast, connect, serve};
/// use std::{cell::RefCell, rc::Rc};
///
/// weft::run(async {
///     let clients: Rc<RefCell<Vec<weft_ws::Writer>>> = Rc::default();
///     let registry = clients.clone();
///     let server = serve("127.0.0.1:0", move |ws| {
///         let registry = registry.clone();
///         async move {
///             let (mut rd, wr) = ws.split();
///             registry.borrow_mut().push(wr);
///             while rd.recv().await.is_ok() {}
///         }
///     })
///     .await?;
///     let url = format!("ws://{}", server.local_addr());
///     let (mut a, mut b) = (connect(&url).await?, connect(&url).await?);
///     while clients.borrow().len() < 2 {
///         weft::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert_eq!(broadcast(clients.borrow().iter(), "news"), 2);
///     assert_eq!(a.recv().await?.to_text().unwrap(), "news");
///     assert_eq!(b.recv().await?.to_text().unwrap(), "news");
///     Ok::<(), weft_ws::Error>(())
/// })?;
/// # Ok::<(), weft_ws::Error>(())
/// ```
pub fn broadcast<'a, I>(connections: I, message: impl Into<Message>) -> usize
where
    I: IntoIterator<Item = &'a Writer>,
{
    let message = message.into();
    let mut sent = 0;
    for writer in connections {
        match writer.try_send(message.clone()) {
            Ok(true) => sent += 1,
            Ok(false) => {
                tracing::debug!("weft-ws: broadcast skipped a connection over its write limit");
            }
            Err(_) => {}
        }
    }
    sent
}
