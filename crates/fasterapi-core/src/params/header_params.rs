//! Header values with parameters, as a Content-Type or a Content-Disposition is written:
//! `type; name=value; name="quoted value"`.

use std::borrow::Cow;

/// A parameter's name and (unquoted) value.
pub(crate) type Param<'v> = (&'v [u8], Cow<'v, [u8]>);

/// Splits a header value such as a Content-Type or a Content-Disposition into its first item
/// (the media or disposition type) and its `name=value` parameters, in order. Quoted values
/// are unquoted, `\"` and `\\` unescaped; any other backslash is kept, as python-multipart
/// keeps the Windows paths some browsers send as filenames. A parameter without `=` is
/// dropped.
pub(crate) fn split_params(value: &[u8]) -> (&[u8], Vec<Param<'_>>) {
    let end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
    let first = value[..end].trim_ascii();
    let mut params = Vec::new();
    let mut i = end;
    while i < value.len() {
        while i < value.len() && (value[i] == b';' || value[i].is_ascii_whitespace()) {
            i += 1;
        }
        let start = i;
        while i < value.len() && value[i] != b'=' && value[i] != b';' {
            i += 1;
        }
        let name = value[start..i].trim_ascii();
        if i >= value.len() || value[i] == b';' {
            continue; // no value
        }
        i += 1; // '='
        while i < value.len() && (value[i] == b' ' || value[i] == b'\t') {
            i += 1;
        }
        let param_value = if value.get(i) == Some(&b'"') {
            let (unquoted, used) = unquote(&value[i..]);
            i += used;
            unquoted
        } else {
            let start = i;
            while i < value.len() && value[i] != b';' {
                i += 1;
            }
            Cow::Borrowed(value[start..i].trim_ascii())
        };
        if !name.is_empty() {
            params.push((name, param_value));
        }
    }
    (first, params)
}

/// The contents of the quoted string `quoted` starts with, and how many bytes it took; an
/// unterminated one runs to the end.
fn unquote(quoted: &[u8]) -> (Cow<'_, [u8]>, usize) {
    let mut unescaped: Option<Vec<u8>> = None; // made at the first escape
    let mut i = 1;
    while i < quoted.len() {
        match quoted[i] {
            b'"' => break,
            b'\\' if matches!(quoted.get(i + 1), Some(b'"' | b'\\')) => {
                let out = unescaped.get_or_insert_with(|| quoted[1..i].to_vec());
                out.push(quoted[i + 1]);
                i += 2;
            }
            b => {
                if let Some(out) = &mut unescaped {
                    out.push(b);
                }
                i += 1;
            }
        }
    }
    let value = match unescaped {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(&quoted[1..i.min(quoted.len())]),
    };
    (value, (i + 1).min(quoted.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_quoted_and_escaped() {
        let (first, params) =
            split_params(br#"form-data; name="a\"b;c" ; filename=plain.txt;x; empty="""#);
        assert_eq!(first, b"form-data");
        let params: Vec<(&[u8], &[u8])> = params.iter().map(|(k, v)| (*k, v.as_ref())).collect();
        assert_eq!(
            params,
            [
                (&b"name"[..], &b"a\"b;c"[..]),
                (b"filename", b"plain.txt"),
                (b"empty", b""),
            ]
        );
        // a Windows path keeps its single backslashes; `\\` is one backslash
        let (_, params) = split_params(br#"form-data; filename="C:\dir\x.txt"; b="\\\\srv""#);
        assert_eq!(params[0].1.as_ref(), br"C:\dir\x.txt");
        assert_eq!(params[1].1.as_ref(), br"\\srv");
        // an unterminated quoted string runs to the end
        let (_, params) = split_params(br#"form-data; name="open"#);
        assert_eq!(params[0].1.as_ref(), b"open");
        assert_eq!(split_params(b"").0, b"");
    }
}
