//! Connections give their file descriptors back. Alone in its test binary so
//! that no other test opens descriptors meanwhile.

use std::io;

use weft_reactor::net::{TcpListener, TcpStream};

fn open_fds() -> io::Result<usize> {
    Ok(std::fs::read_dir("/proc/self/fd")?.count())
}

#[cfg(target_os = "linux")]
#[test]
fn ten_thousand_connect_close_cycles_leak_no_descriptors() -> io::Result<()> {
    const CYCLES: usize = 10_000;
    weft::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        // One cycle first, so that whatever is opened lazily once (by the
        // loop or the reactor) is already open when counting starts.
        drop(TcpStream::connect(addr).await?);
        drop(listener.accept().await?);

        let before = open_fds()?;
        for i in 0..CYCLES {
            let mut client = TcpStream::connect(addr).await?;
            let (mut server, _) = listener.accept().await?;
            if i % 2 == 0 {
                // Half of them exchange a byte and close from the server.
                client.write_all(b"x").await?;
                assert_eq!(server.read(&mut [0; 1]).await?, 1);
                drop(server);
                assert_eq!(client.read(&mut [0; 1]).await?, 0);
            }
        }
        // A refused connect must not leak its socket either.
        let closed = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        for _ in 0..100 {
            assert!(TcpStream::connect(closed).await.is_err());
        }
        let after = open_fds()?;
        assert_eq!(before, after, "file descriptors leaked");
        Ok(())
    })
}
