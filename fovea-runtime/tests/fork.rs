//! Alone in its test binary: `fork` copies only the calling thread, so no other test may be
//! running (and holding a lock) when it happens.

use fovea_runtime::runtime;

/// A forked child gets a runtime whose threads exist: a spawned task completes there.
#[test]
fn a_forked_child_gets_a_working_runtime() {
    let parent = runtime() as *const _ as usize;
    // Work on the parent's worker threads first, so the child inherits a busy runtime.
    assert_eq!(runtime().block_on(runtime().spawn(async { 7 })).unwrap(), 7);
    // SAFETY: the child only calls async-signal-unsafe code that this test controls, and
    // leaves with `_exit`, running no destructors or atexit handlers of the parent.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork failed");
    if child == 0 {
        // A runtime without threads would hang the child: SIGALRM ends it instead, and the
        // parent sees a child that did not exit normally.
        unsafe { libc::alarm(30) };
        let fresh = runtime() as *const _ as usize != parent;
        let spawned = runtime().block_on(runtime().spawn(async { 7 }));
        let code = if fresh && matches!(spawned, Ok(7)) {
            0
        } else {
            1
        };
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
    assert!(libc::WIFEXITED(status), "the child did not exit normally");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "the child's runtime did not run its task"
    );
}
