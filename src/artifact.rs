//! Files the tool writes and reads: atomic writes, owner-only private files,
//! bounded reads, and the one container of every binary file ([`Kind`]).

use std::io::{Read, Write};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};

/// Who may read a file the tool writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Public artifacts (model, proof bundle, commitment): mode 0644.
    Public,
    /// Private artifacts holding witness data (opening, checkpoints): 0600.
    Private,
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder,
/// fsync, rename, fsync of the folder. A crash leaves either the old file or
/// the new one, never a torn one. Private files are created 0600 from the
/// start, so their contents are never readable by others, even briefly.
pub fn write_atomic(path: &Path, bytes: &[u8], visibility: Visibility) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".foldtrain-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| {
            Error::io(
                path,
                std::io::Error::new(
                    e.kind(),
                    format!("cannot create a file in {}", dir.display()),
                ),
            )
        })?;
    // tempfile creates files 0600; public artifacts are widened to 0644.
    #[cfg(unix)]
    if visibility == Visibility::Public {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(path, e))?;
    }
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        // Best effort: makes the rename itself durable on Linux.
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes a value as pretty JSON, atomically.
pub fn write_json<T: serde::Serialize>(
    path: &Path,
    value: &T,
    visibility: Visibility,
) -> Result<()> {
    let mut text = serde_json::to_vec_pretty(value)
        .map_err(|e| Error::artifact(path, format!("cannot encode: {e}")))?;
    text.push(b'\n');
    write_atomic(path, &text, visibility)
}

/// Reads at most `limit` bytes; a longer file is refused without reading it
/// all.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::artifact(
            path,
            format!("file is larger than {limit} bytes; is it the right file?"),
        ));
    }
    Ok(bytes)
}

/// Largest JSON artifact (model, opening, commitment) read.
pub const MAX_JSON_BYTES: u64 = 16 << 20;

/// Reads a JSON artifact, checking its `kind` field names what is expected.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path, kind: &str) -> Result<T> {
    let bytes = read_limited(path, MAX_JSON_BYTES)?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::artifact(path, format!("not a JSON {kind} file: {e}")))?;
    match value.get("kind").and_then(|k| k.as_str()) {
        Some(k) if k == kind => {}
        Some(k) => {
            return Err(Error::artifact(
                path,
                format!("this is a `{k}` file, expected a `{kind}` file"),
            ))
        }
        None => {
            return Err(Error::artifact(
                path,
                format!("not a {kind} file (no `kind` field)"),
            ))
        }
    }
    serde_json::from_value(value)
        .map_err(|e| Error::artifact(path, format!("malformed {kind} file: {e}")))
}

/// Creates `dir` (and parents) if missing, with a clear error otherwise.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}

/// Creates `dir` if missing with mode 0700 (for private artifacts); an
/// existing folder is left as it is.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| Error::io(dir, e))
}

/// The effective user id of this process, learnt without `libc`: the owner
/// of an anonymous file it creates in the temporary folder (a new file is
/// owned by the creating process's effective, on Linux filesystem, uid).
/// `None` when no such file can be created; computed once.
#[cfg(unix)]
pub fn effective_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    static UID: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    *UID.get_or_init(|| {
        tempfile::tempfile()
            .and_then(|f| f.metadata())
            .ok()
            .map(|m| m.uid())
    })
}

/// Why `meta` (the metadata of `path`, a folder if `dir`) is not this user's
/// own, or `None` if it is: like ssh with `~/.ssh`, a file or folder that
/// another user owns, or that group or others may write, is refused. A
/// symbolic link should be resolved first (pass the metadata of an opened
/// handle, or `std::fs::metadata`), so that what is checked is what is read.
/// On platforms without Unix permissions nothing can be checked and
/// everything is refused.
pub fn owner_only_problem(path: &Path, meta: &std::fs::Metadata, dir: bool) -> Option<String> {
    let what = if dir { "folder" } else { "file" };
    let right_kind = if dir { meta.is_dir() } else { meta.is_file() };
    if !right_kind {
        return Some(format!("{} is not a regular {what}", path.display()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Some(uid) = effective_uid() else {
            return Some("cannot learn this process's user id".into());
        };
        if meta.uid() != uid {
            return Some(format!(
                "the {what} {} is owned by user {}, not by this user ({uid})",
                path.display(),
                meta.uid()
            ));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Some(format!(
                "the {what} {} has mode {mode:04o}: group or others may write it",
                path.display()
            ));
        }
        None
    }
    #[cfg(not(unix))]
    {
        Some(format!(
            "the owner of the {what} {} cannot be checked on this platform",
            path.display()
        ))
    }
}

/// Hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha256(bytes))
}

/// Bytes of a binary file's magic, its first bytes.
pub const MAGIC_LEN: usize = 16;
/// Bytes of a binary file's format version, a little-endian `u32`.
pub const VERSION_LEN: usize = 4;
/// Bytes of a sha256 digest: a header's binding or its body digest.
pub const DIGEST_LEN: usize = 32;

/// One type of binary file (proof bundle, checkpoint, cached parameters).
/// Every binary file is the same container:
///
/// ```text
/// magic (MAGIC_LEN) | version (VERSION_LEN) | binding (DIGEST_LEN)?
///                   | sha256 of the body (DIGEST_LEN)? | body
/// ```
///
/// The body is bincode 2 (standard configuration) of one value. The binding
/// is present when the caller gives one: it names what the file was made
/// for (the cache: its recipe's circuit), and a file carrying another is
/// refused. The body digest is present when [`Kind::body_digest`] says so.
/// `LIMIT` bounds the whole file and what its decoder may allocate.
#[derive(Clone, Copy, Debug)]
pub struct Kind<const LIMIT: usize> {
    /// The file's first bytes.
    pub magic: &'static [u8; MAGIC_LEN],
    /// The layout version this build writes and reads; any other is refused.
    pub version: u32,
    /// Whether the header carries the sha256 of the body, so that a torn or
    /// altered file is refused before it is decoded.
    pub body_digest: bool,
}

/// Why bytes are not a file of a [`Kind`], one variant a check, in the order
/// [`Kind::open`] makes them. Each caller maps it to its own error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// Wrong first bytes, or shorter than the header.
    #[error("bad magic bytes")]
    BadMagic,
    #[error("format version {found}; this build reads {supported}")]
    Version { found: u32, supported: u32 },
    #[error("its header is bound to something else (it was made for another recipe)")]
    Binding,
    #[error("its digest does not match its contents (corrupt or truncated)")]
    Digest,
    #[error("malformed: {0}")]
    Malformed(String),
    /// The file ends before its contents do (the decoder's words kept).
    #[error("cut short: the file ends before its contents do")]
    Truncated(String),
    #[error("malformed (its decoder failed)")]
    DecoderPanicked,
    #[error("{0} trailing bytes")]
    TrailingBytes(usize),
}

/// The bincode 2 configuration of a body: standard, at most `LIMIT` bytes.
fn body_config<const LIMIT: usize>() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<LIMIT>()
}

fn sha256(bytes: &[u8]) -> [u8; DIGEST_LEN] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

impl<const LIMIT: usize> Kind<LIMIT> {
    /// Header and body of `value`: magic, version, `binding` if given, the
    /// body's digest if this kind carries one, then the body.
    pub fn seal<T: Serialize>(
        &self,
        value: &T,
        binding: Option<&[u8; DIGEST_LEN]>,
    ) -> std::result::Result<Vec<u8>, bincode::error::EncodeError> {
        let body = bincode::serde::encode_to_vec(value, body_config::<LIMIT>())?;
        let mut out = self.magic.to_vec();
        out.extend(self.version.to_le_bytes());
        out.extend(binding.into_iter().flatten());
        if self.body_digest {
            out.extend(sha256(&body));
        }
        out.extend(body);
        Ok(out)
    }

    /// Decodes untrusted bytes sealed by [`Kind::seal`] with the same
    /// `binding`: size limit, magic, version, binding, digest, then a
    /// bincode decode within the limit that must use every byte. Never
    /// panics (a panicking decoder is caught).
    pub fn open<T: DeserializeOwned>(
        &self,
        bytes: &[u8],
        binding: Option<&[u8; DIGEST_LEN]>,
    ) -> std::result::Result<T, Refusal> {
        decode_whole::<T, LIMIT>(self.checked_body(bytes, binding, true)?)
    }

    /// [`Kind::open`] without recomputing the body digest, for bytes whose
    /// digest the caller has checked already (by opening them or a prefix
    /// of them with this layout) and kept unchanged since: a key file's is
    /// a sha256 of tens of MB. The caller's type must guarantee it.
    pub(crate) fn open_digest_checked<T: DeserializeOwned>(
        &self,
        bytes: &[u8],
        binding: Option<&[u8; DIGEST_LEN]>,
    ) -> std::result::Result<T, Refusal> {
        decode_whole::<T, LIMIT>(self.checked_body(bytes, binding, false)?)
    }

    /// The first fields of a body, as the `T` that they make up (a prefix
    /// of the sealed value's fields), after the same checks as
    /// [`Kind::open`] except that the rest of the body is not decoded.
    pub fn open_prefix<T: DeserializeOwned>(
        &self,
        bytes: &[u8],
        binding: Option<&[u8; DIGEST_LEN]>,
    ) -> std::result::Result<T, Refusal> {
        decode_body::<T, LIMIT>(self.checked_body(bytes, binding, true)?).map(|(value, _)| value)
    }

    /// [`Kind::open_prefix`] without recomputing the body digest (see
    /// [`Kind::open_digest_checked`]).
    pub(crate) fn open_prefix_digest_checked<T: DeserializeOwned>(
        &self,
        bytes: &[u8],
        binding: Option<&[u8; DIGEST_LEN]>,
    ) -> std::result::Result<T, Refusal> {
        decode_body::<T, LIMIT>(self.checked_body(bytes, binding, false)?).map(|(value, _)| value)
    }

    /// The body of `bytes` after the header's checks: size limit, magic,
    /// version, binding, and the digest unless `hash` is false (only for
    /// bytes whose digest was checked before).
    fn checked_body<'a>(
        &self,
        bytes: &'a [u8],
        binding: Option<&[u8; DIGEST_LEN]>,
        hash: bool,
    ) -> std::result::Result<&'a [u8], Refusal> {
        if bytes.len() > LIMIT {
            return Err(Refusal::TooLarge { limit: LIMIT });
        }
        let header = Header::split(bytes, binding.is_some(), self.body_digest)
            .filter(|h| h.magic == self.magic)
            .ok_or(Refusal::BadMagic)?;
        if header.version != self.version {
            return Err(Refusal::Version {
                found: header.version,
                supported: self.version,
            });
        }
        if header.binding != binding {
            return Err(Refusal::Binding);
        }
        if hash && header.digest.is_some_and(|d| *d != sha256(header.body)) {
            return Err(Refusal::Digest);
        }
        Ok(header.body)
    }
}

/// A container's fields, as [`Kind`] lays them out.
struct Header<'a> {
    magic: &'a [u8; MAGIC_LEN],
    version: u32,
    binding: Option<&'a [u8; DIGEST_LEN]>,
    digest: Option<&'a [u8; DIGEST_LEN]>,
    body: &'a [u8],
}

impl<'a> Header<'a> {
    /// Cuts `bytes` into the header's fields and the body; `None` when they
    /// are shorter than the header.
    fn split(bytes: &'a [u8], bound: bool, digested: bool) -> Option<Self> {
        let (magic, rest) = bytes.split_first_chunk::<MAGIC_LEN>()?;
        let (version, rest) = rest.split_first_chunk::<VERSION_LEN>()?;
        let (binding, rest) = digest_if(rest, bound)?;
        let (digest, body) = digest_if(rest, digested)?;
        Some(Header {
            magic,
            version: u32::from_le_bytes(*version),
            binding,
            digest,
            body,
        })
    }
}

/// A leading digest of `bytes` if `present`, and what follows it.
fn digest_if(bytes: &[u8], present: bool) -> Option<(Option<&[u8; DIGEST_LEN]>, &[u8])> {
    if !present {
        return Some((None, bytes));
    }
    let (digest, rest) = bytes.split_first_chunk::<DIGEST_LEN>()?;
    Some((Some(digest), rest))
}

/// bincode 2 of one `T` that must be the whole of `body`.
fn decode_whole<T: DeserializeOwned, const LIMIT: usize>(
    body: &[u8],
) -> std::result::Result<T, Refusal> {
    let (value, used) = decode_body::<T, LIMIT>(body)?;
    if used != body.len() {
        return Err(Refusal::TrailingBytes(body.len() - used));
    }
    Ok(value)
}

/// bincode 2 of one `T` at the start of `body`, within `LIMIT`, under
/// `catch_unwind`, with the bytes it used.
fn decode_body<T: DeserializeOwned, const LIMIT: usize>(
    body: &[u8],
) -> std::result::Result<(T, usize), Refusal> {
    let decoded = std::panic::catch_unwind(|| {
        bincode::serde::decode_from_slice::<T, _>(body, body_config::<LIMIT>())
    })
    .map_err(|_| Refusal::DecoderPanicked)?;
    decoded.map_err(|e| match e {
        bincode::error::DecodeError::UnexpectedEnd { .. } => Refusal::Truncated(e.to_string()),
        // A check of our own (a version, a limit), or serde's words.
        bincode::error::DecodeError::OtherString(why) => Refusal::Malformed(why),
        other => Refusal::Malformed(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_sets_permissions_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("secret.json");
        write_atomic(&p, b"one", Visibility::Private).unwrap();
        write_atomic(&p, b"two", Visibility::Private).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let q = dir.path().join("public.json");
            write_atomic(&q, b"x", Visibility::Public).unwrap();
            let mode = std::fs::metadata(&q).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644);
        }
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
    }

    #[cfg(unix)]
    #[test]
    fn owner_only_refuses_files_and_folders_others_may_write() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        write_atomic(&p, b"x", Visibility::Private).unwrap();
        let meta = |p: &Path| std::fs::metadata(p).unwrap();
        assert_eq!(owner_only_problem(&p, &meta(&p), false), None);
        assert!(owner_only_problem(&p, &meta(&p), true).is_some());
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(owner_only_problem(&p, &meta(&p), false), None);
        for mode in [0o666, 0o620, 0o602] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            let why = owner_only_problem(&p, &meta(&p), false).unwrap();
            assert!(why.contains("may write"), "{why}");
        }
        let d = dir.path().join("d");
        ensure_private_dir(&d).unwrap();
        assert_eq!(meta(&d).permissions().mode() & 0o777, 0o700);
        assert_eq!(owner_only_problem(&d, &meta(&d), true), None);
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(owner_only_problem(&d, &meta(&d), true).is_some());
        // Another user's file: as root, give one away; else, root's `/`.
        let (foreign, is_dir) = if effective_uid() == Some(0) {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
            std::os::unix::fs::chown(&p, Some(65534), None).unwrap();
            (p.as_path(), false)
        } else {
            (Path::new("/"), true)
        };
        let why = owner_only_problem(foreign, &meta(foreign), is_dir).unwrap();
        assert!(why.contains("owned by user"), "{why}");
    }

    #[test]
    fn read_limited_refuses_large_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, vec![0u8; 100]).unwrap();
        assert!(read_limited(&p, 99).is_err());
        assert_eq!(read_limited(&p, 100).unwrap().len(), 100);
    }

    /// A kind with every header field, and one with none but the version.
    const DIGESTED: Kind<128> = Kind {
        magic: b"foldtrain-test\0\0",
        version: 7,
        body_digest: true,
    };
    const PLAIN: Kind<128> = Kind {
        body_digest: false,
        ..DIGESTED
    };
    const BINDING: [u8; DIGEST_LEN] = [5; DIGEST_LEN];

    type Value = (u32, String);

    fn value() -> Value {
        (3, "seven".into())
    }

    #[test]
    fn sealed_values_open_with_the_layout_documented() {
        let body = bincode::serde::encode_to_vec(value(), bincode::config::standard()).unwrap();
        let sealed = DIGESTED.seal(&value(), Some(&BINDING)).unwrap();
        let mut expected = DIGESTED.magic.to_vec();
        expected.extend(7u32.to_le_bytes());
        expected.extend(BINDING);
        expected.extend(sha256(&body));
        expected.extend(&body);
        assert_eq!(sealed, expected);
        assert_eq!(DIGESTED.open(&sealed, Some(&BINDING)), Ok(value()));
        let plain = PLAIN.seal(&value(), None).unwrap();
        assert_eq!(
            plain[..MAGIC_LEN + VERSION_LEN],
            expected[..MAGIC_LEN + VERSION_LEN]
        );
        assert_eq!(plain[MAGIC_LEN + VERSION_LEN..], body);
        assert_eq!(PLAIN.open(&plain, None), Ok(value()));
    }

    #[test]
    fn each_header_tampering_is_refused_by_its_check() {
        let sealed = DIGESTED.seal(&value(), Some(&BINDING)).unwrap();
        let open = |bytes: &[u8], binding: &[u8; DIGEST_LEN]| {
            DIGESTED.open::<Value>(bytes, Some(binding)).unwrap_err()
        };
        let flipped = |at: usize| {
            let mut b = sealed.clone();
            b[at] ^= 1;
            b
        };
        let header = MAGIC_LEN + VERSION_LEN + 2 * DIGEST_LEN;
        let version = Refusal::Version {
            found: 6,
            supported: 7,
        };
        let cases = [
            (vec![0; 129], Refusal::TooLarge { limit: 128 }),
            (sealed[..header - 1].to_vec(), Refusal::BadMagic),
            (flipped(0), Refusal::BadMagic),
            (flipped(MAGIC_LEN), version),
            (flipped(MAGIC_LEN + VERSION_LEN), Refusal::Binding),
            (flipped(header - 1), Refusal::Digest),
            (flipped(sealed.len() - 1), Refusal::Digest),
            (sealed[..sealed.len() - 1].to_vec(), Refusal::Digest),
        ];
        for (bytes, refusal) in cases {
            assert_eq!(open(&bytes, &BINDING), refusal);
        }
        assert_eq!(open(&sealed, &[6; DIGEST_LEN]), Refusal::Binding);
    }

    #[test]
    fn bodies_must_decode_exactly_within_the_limit() {
        let plain = |body: &[u8]| {
            let mut bytes = PLAIN.magic.to_vec();
            bytes.extend(PLAIN.version.to_le_bytes());
            bytes.extend(body);
            PLAIN.open::<Value>(&bytes, None)
        };
        let body = bincode::serde::encode_to_vec(value(), bincode::config::standard()).unwrap();
        assert_eq!(plain(&body), Ok(value()));
        let trailing = [&body[..], &[0]].concat();
        assert_eq!(plain(&trailing), Err(Refusal::TrailingBytes(1)));
        assert!(matches!(
            plain(&body[..body.len() - 1]),
            Err(Refusal::Truncated(_))
        ));
        // A string claiming 2^40 bytes: refused by the limit, not allocated.
        let mut huge = vec![3, 253];
        huge.extend((1u64 << 40).to_le_bytes());
        assert!(matches!(plain(&huge), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn read_json_checks_kind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        std::fs::write(&p, br#"{"kind":"foldtrain-model"}"#).unwrap();
        let e = read_json::<serde_json::Value>(&p, "foldtrain-opening").unwrap_err();
        assert!(e.to_string().contains("foldtrain-model"), "{e}");
        std::fs::write(&p, b"label,a\n1,2\n").unwrap();
        assert!(read_json::<serde_json::Value>(&p, "foldtrain-opening").is_err());
    }
}
