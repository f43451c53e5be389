//! Solution import: `ImportSolution` and `ImportSolutionAsync`.

use crate::dataverse::handlers::Call;
use crate::dataverse::odata::path::Segment;
use crate::dataverse::state::DataverseStore;
use crate::dataverse::wire::ApiResult;

/// `None`: not a solution message.
pub(crate) fn route(
    _store: &mut DataverseStore,
    _call: &Call<'_>,
    _segments: &[Segment],
) -> Option<ApiResult> {
    None
}
