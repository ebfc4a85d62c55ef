// Where a run's marker lives on an ssh host, and the draft it is written to first: one owner of
// both names, for the markers' own module and for the restore script that removes them.

export const MARKER_DIR = '/run/vxlab';

/** Where a run's marker lives on a host. */
export const markerPath = (runId: string): string => `${MARKER_DIR}/${runId}.json`;

/**
 * Where a marker is written before it is renamed into place (.RUN.json.new, which LIST_MARKERS
 * does not list and removeMarker removes): another run's preflight, listing the markers while a
 * claim writes its own, never reads half of one (attack7's race: it said "cut short or edited
 * by hand?" of a live run's marker, and exited 3 with that).
 */
export const markerDraft = (path: string): string => path.replace(/\/([^/]+)$/, '/.$1.new');
