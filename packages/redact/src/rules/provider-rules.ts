/**
 * Provider secret formats, as data: one row per format. Adding a provider is a row here plus a
 * generator in `test/fixtures/generated-corpus.ts` (the test fails for a row without one).
 *
 * Two kinds of row, as in gitleaks:
 * - `token`: a self-identifying format (`glpat-…`, `npm_…`, `SG.….…`); `keywords` are literals every
 *   match contains (lower case), so the prefilter can skip the rule when none occurs.
 * - `assigned`: a format that only means something next to its provider's name (`DATADOG_API_KEY=<40
 *   hex>`): the value `pattern` must follow `<a name containing a keyword> = | : | => | := | ,`.
 *
 * Formats come from each provider's documentation, the gitleaks default rule set
 * (config/gitleaks.toml, cmd/generate/config/rules/*.go) and GitHub secret scanning's supported
 * patterns; `source` names which. The patterns here are ours, written for JavaScript's engine:
 * each is a literal or a tight class followed by bounded single-class runs (linear time).
 */

export type RuleKind = 'token' | 'assigned';

export interface ProviderRule {
  /** Type name: reported in `types` and shown as `[REDACTED:<type>]`. */
  readonly type: string;
  readonly kind: RuleKind;
  /** Lower-case literals; the rule runs only when one occurs in the text. */
  readonly keywords: readonly string[];
  /** The token (kind `token`) or the assigned value (kind `assigned`), as a regex source. */
  readonly pattern: string;
  /** Extra regex flags (`i`). */
  readonly flags?: string;
  /**
   * For `token` rules: how many characters of the token may stand before the keyword (default
   * [0, 0]: the keyword starts the token). The rule is tried only at those offsets before each hit.
   */
  readonly lead?: readonly [number, number];
  /** Minimum Shannon entropy (bits per character) of the match. */
  readonly entropy?: number;
  /** Check that turns "looks like" into "is" (checksums, decoded structure). */
  readonly validate?: (match: string) => boolean;
  /** The documented format, in words. */
  readonly format: string;
  /** Where the format is documented. */
  readonly source: string;
}

const GL = 'gitleaks';
const GH = 'GitHub secret scanning';

const token = (type: string, keywords: string[], pattern: string, format: string, source: string, extra: Partial<ProviderRule> = {}): ProviderRule =>
  Object.freeze({ type, kind: 'token', keywords, pattern, format, source, ...extra });
const assigned = (type: string, keywords: string[], pattern: string, format: string, source: string, extra: Partial<ProviderRule> = {}): ProviderRule =>
  Object.freeze({ type, kind: 'assigned', keywords, pattern, format, source, ...extra });

const HEX = '[0-9a-fA-F]';
/** Discord bot tokens open with base64 of the bot's numeric id: its first three characters. */
const DISCORD_ID_PREFIXES = ['m', 'n', 'o'].flatMap((a) => ['d', 't', 'j', 'z'].flatMap((b) => 'aeimquycgk'.split('').map((c) => a + b + c)));
const UUID = `${HEX}{8}-${HEX}{4}-${HEX}{4}-${HEX}{4}-${HEX}{12}`;

export const PROVIDER_RULES: readonly ProviderRule[] = [
  // --- source hosting, CI, package registries -------------------------------------------------
  token('github_token', ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], 'gh[pousr]_[A-Za-z0-9]{36,255}', 'ghp_/gho_/ghu_/ghs_/ghr_ + 36 base62 (last 6 a CRC32)', `${GH}; ${GL} github-pat`),
  token('github_token', ['github_pat_'], 'github_pat_[A-Za-z0-9_]{22,255}', 'github_pat_ + 22 base62 + _ + 59 base62', `${GH}; ${GL} github-fine-grained-pat`),
  token('gitlab_pat', ['glpat-'], 'glpat-[A-Za-z0-9_.-]{20,300}', 'glpat- + 20 [A-Za-z0-9_-] (routable: 27+ . 2 + 7)', `${GL} gitlab-pat; GitLab token docs`),
  token('gitlab_deploy_token', ['gldt-'], 'gldt-[A-Za-z0-9_-]{20,64}', 'gldt- + 20', `${GL} gitlab-deploy-token`),
  token('gitlab_runner_token', ['glrt-'], 'glrt-[A-Za-z0-9_.-]{20,300}', 'glrt- + 20 (or t1_ routable)', `${GL} gitlab-runner-authentication-token`),
  token('gitlab_runner_registration_token', ['gr1348941'], 'GR1348941[A-Za-z0-9_-]{20,64}', 'GR1348941 + 20', `${GL} gitlab-rrt`),
  token('gitlab_pipeline_trigger_token', ['glptt-'], 'glptt-[0-9a-f]{40}', 'glptt- + 40 hex', `${GL} gitlab-ptt`),
  token('gitlab_feed_token', ['glft-'], 'glft-[A-Za-z0-9_-]{20,64}', 'glft- + 20', `${GL} gitlab-feed-token`),
  token('gitlab_incoming_mail_token', ['glimt-'], 'glimt-[A-Za-z0-9_-]{25,64}', 'glimt- + 25', `${GL} gitlab-incoming-mail-token`),
  token('gitlab_agent_token', ['glagent-'], 'glagent-[A-Za-z0-9_-]{50,128}', 'glagent- + 50', `${GL} gitlab-kubernetes-agent-token`),
  token('gitlab_oauth_secret', ['gloas-'], 'gloas-[A-Za-z0-9_-]{64,128}', 'gloas- + 64', `${GL} gitlab-oauth-app-secret`),
  token('gitlab_scim_token', ['glsoat-'], 'glsoat-[A-Za-z0-9_-]{20,64}', 'glsoat- + 20', `${GL} gitlab-scim-token`),
  token('gitlab_ci_job_token', ['glcbt-'], 'glcbt-[A-Za-z0-9]{1,5}_[A-Za-z0-9_-]{20,64}', 'glcbt- + 1-5 + _ + 20', `${GL} gitlab-cicd-job-token`),
  token('gitlab_feature_flag_token', ['glffct-'], 'glffct-[A-Za-z0-9_-]{20,64}', 'glffct- + 20', `${GL} gitlab-feature-flag-client-token`),
  token('gitlab_session_cookie', ['_gitlab_session='], '_gitlab_session=[0-9a-z]{32,64}', '_gitlab_session= + 32 [0-9a-z]', `${GL} gitlab-session-cookie`),
  token('bitbucket_app_password', ['atbb'], 'ATBB[A-Za-z0-9_=.-]{28,64}', 'ATBB + 28+ (app password)', `${GH} (Atlassian); Bitbucket docs`),
  token('atlassian_api_token', ['atatt3'], 'ATATT3[A-Za-z0-9_=-]{50,300}', 'ATATT3 + 186 [A-Za-z0-9_=-]', `${GL} atlassian-api-token; ${GH}`),
  token('atlassian_api_token', ['atctt3'], 'ATCTT3[A-Za-z0-9_=-]{50,300}', 'ATCTT3 + 186 (Bitbucket/Confluence access token)', GH),
  token('npm_token', ['npm_'], 'npm_[A-Za-z0-9]{36}', 'npm_ + 36 base62 (last 6 a CRC32)', `${GL} npm-access-token; ${GH}`),
  token('pypi_token', ['pypi-ageichlwas5vcmc'], 'pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}', 'pypi- + macaroon base64url starting AgEIcHlwaS5vcmc', `${GL} pypi-upload-token; ${GH}`),
  token('pypi_token', ['pypi-agendgvzdc5wexbp'], 'pypi-AgENdGVzdC5weXBp[A-Za-z0-9_-]{50,1000}', 'pypi- + test.pypi.org macaroon', GH),
  token('rubygems_api_key', ['rubygems_'], 'rubygems_[a-f0-9]{48}', 'rubygems_ + 48 hex', `${GL} rubygems-api-token; ${GH}`),
  token('nuget_api_key', ['oy2'], 'oy2[a-z0-9]{43}', 'oy2 + 43 [a-z0-9]', `${GH} (NuGet)`),
  token('clojars_token', ['clojars_'], 'CLOJARS_[A-Za-z0-9]{60}', 'CLOJARS_ + 60', `${GL} clojars-api-token`),
  token('docker_hub_token', ['dckr_pat_', 'dckr_oat_'], 'dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,64}', 'dckr_pat_ / dckr_oat_ + 27', `${GH} (Docker)`),
  token('artifactory_api_key', ['akcp'], 'AKCp[A-Za-z0-9]{69}', 'AKCp + 69', `${GL} artifactory-api-key`),
  token('artifactory_reference_token', ['cmvmd'], 'cmVmd[A-Za-z0-9]{59}', 'cmVmd + 59', `${GL} artifactory-reference-token`),
  token('circleci_token', ['ccipat_'], 'CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}', 'CCIPAT_ + 22 + _ + 40 hex', `${GH} (CircleCI)`),
  token('buildkite_token', ['bkua_'], 'bkua_[a-f0-9]{40}', 'bkua_ + 40 hex', `${GH} (Buildkite)`),
  token('sonarqube_token', ['squ_', 'sqp_', 'sqa_'], 'sq[upa]_[a-f0-9]{40}', 'squ_/sqp_/sqa_ + 40 hex', 'SonarQube token docs'),
  token('sourcegraph_token', ['sgp_'], 'sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}', 'sgp_ [+ 16 hex _] + 40 hex', `${GL} sourcegraph-access-token`),
  token('octopus_deploy_api_key', ['api-'], 'API-[A-Z0-9]{26}', 'API- + 26 [A-Z0-9]', `${GL} octopus-deploy-api-key`),
  token('harness_token', ['pat.', 'sat.'], '(?:pat|sat)\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9]{24}\\.[A-Za-z0-9]{20}', 'pat./sat. + 22 . 24 . 20', `${GL} harness-api-key`),
  token('infracost_token', ['ico-'], 'ico-[A-Za-z0-9]{32}', 'ico- + 32', `${GL} infracost-api-token`),
  token('pulumi_token', ['pul-'], 'pul-[a-f0-9]{40}', 'pul- + 40 hex', `${GL} pulumi-api-token; ${GH}`),
  token('prefect_token', ['pnu_'], 'pnu_[A-Za-z0-9]{36}', 'pnu_ + 36', `${GL} prefect-api-token`),
  token('readme_token', ['rdme_'], 'rdme_[a-z0-9]{70}', 'rdme_ + 70', `${GL} readme-api-token`),
  token('postman_api_key', ['pmak-'], 'PMAK-[A-Fa-f0-9]{24}-[A-Fa-f0-9]{34}', 'PMAK- + 24 hex - 34 hex', `${GL} postman-api-token; ${GH}`),
  token('frameio_token', ['fio-u-'], 'fio-u-[A-Za-z0-9_=-]{64}', 'fio-u- + 64', `${GL} frameio-api-token`),
  token('linear_api_key', ['lin_api_'], 'lin_api_[A-Za-z0-9]{40}', 'lin_api_ + 40', `${GL} linear-api-key; ${GH}`),
  token('notion_token', ['ntn_'], 'ntn_[0-9]{11}[A-Za-z0-9]{35}', 'ntn_ + 11 digits + 35', `${GL} notion-api-token`),
  token('notion_token', ['secret_'], 'secret_[A-Za-z0-9]{43}(?![A-Za-z0-9])', 'secret_ + 43 (integration token, legacy)', `${GH} (Notion)`),
  token('airtable_pat', ['pat'], 'pat[A-Za-z0-9]{14}\\.[a-f0-9]{64}', 'pat + 14 . 64 hex', `${GH} (Airtable)`),
  token('asana_pat', ['1/', '2/'], '[12]/[0-9]{13,20}(?:/[0-9]{13,20})?:[a-f0-9]{32}', '1/<user gid>:<32 hex> or 2/<user gid>/<app gid>:<32 hex>', `${GH} (Asana)`),
  token('clickup_token', ['pk_'], 'pk_[0-9]{6,10}_[A-Z0-9]{32}', 'pk_ + user id + _ + 32 [A-Z0-9]', 'ClickUp API docs'),
  token('typeform_token', ['tfp_'], 'tfp_[A-Za-z0-9_.=-]{59}', 'tfp_ + 59', `${GL} typeform-api-token`),
  token('contentful_pat', ['cfpat-'], 'CFPAT-[A-Za-z0-9_-]{43}', 'CFPAT- + 43', `${GH} (Contentful)`),
  token('hubspot_pat', ['pat-na1-', 'pat-eu1-'], `pat-(?:na|eu)1-${UUID}`, 'pat-na1-/pat-eu1- + UUID', `${GH} (HubSpot)`),
  token('figma_pat', ['figd_'], 'figd_[A-Za-z0-9_-]{40,64}', 'figd_ + 40+', `${GH} (Figma)`),

  // --- cloud and infrastructure -----------------------------------------------------------------
  token('aws_access_key', ['akia', 'asia', 'abia', 'acca', 'a3t'], '(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])', 'AKIA/ASIA/ABIA/ACCA + 16 base32', `${GL} aws-access-token; ${GH}`),
  token('aws_bedrock_key', ['absk'], 'ABSK[A-Za-z0-9+/]{100,200}={0,2}', 'ABSK + base64 (Bedrock API key)', `${GH} (AWS)`),
  token('google_api_key', ['aiza'], 'AIza[0-9A-Za-z_-]{35}', 'AIza + 35', `${GL} gcp-api-key; ${GH}`),
  token('google_oauth_access_token', ['ya29.'], 'ya29\\.[0-9A-Za-z_-]{30,2048}', 'ya29. + base64url', `${GH} (Google)`),
  token('google_oauth_client_secret', ['gocspx-'], 'GOCSPX-[A-Za-z0-9_-]{28}', 'GOCSPX- + 28', `${GH} (Google)`),
  token('google_oauth_refresh_token', ['1//0'], '1//0[0-9A-Za-z_-]{40,512}', '1//0 + base64url', `${GH} (Google)`),
  token('azure_ad_client_secret', ['q~'], '[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}', '3 + digit + Q~ + 31-34', `${GL} azure-ad-client-secret; ${GH}`, { lead: [4, 4] }),
  token('alibaba_access_key', ['ltai'], 'LTAI[A-Za-z0-9]{12,20}', 'LTAI + 12-20', `${GL} alibaba-access-key-id; ${GH}`),
  token('tencent_secret_id', ['akid'], 'AKID[A-Za-z0-9]{32}', 'AKID + 32', `${GH} (Tencent Cloud)`),
  token('scaleway_access_key', ['scw'], 'SCW[A-Z0-9]{17}(?![A-Za-z0-9])', 'SCW + 17 [A-Z0-9]', `${GH} (Scaleway)`),
  token('digitalocean_token', ['dop_v1_', 'doo_v1_', 'dor_v1_'], 'do[opr]_v1_[a-f0-9]{64}', 'dop_v1_/doo_v1_/dor_v1_ + 64 hex', `${GL} digitalocean-pat; ${GH}`),
  token('heroku_api_key', ['hrku-'], 'HRKU-[A-Za-z0-9_-]{40,64}', 'HRKU- + 60', `${GL} heroku-api-key-v2; ${GH}`),
  token('flyio_token', ['fo1_', 'fm1', 'fm2_'], '(?:fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})', 'fo1_ + 43, fm2_ + base64', `${GL} flyio-access-token`),
  token('vault_token', ['hvs.', 'hvb.', 'hvr.'], 'hv[sbr]\\.[A-Za-z0-9_-]{24,300}', 'hvs./hvb./hvr. + base64url', `${GL} vault-service-token; ${GH}`),
  token('terraform_token', ['.atlasv1.'], '[A-Za-z0-9]{14}\\.atlasv1\\.[A-Za-z0-9_=-]{60,70}', '14 . atlasv1 . 60-70', `${GL} hashicorp-tf-api-token; ${GH}`, { lead: [14, 14] }),
  token('doppler_token', ['dp.pt.', 'dp.st.', 'dp.ct.', 'dp.sa.', 'dp.scim.', 'dp.audit.'], 'dp\\.(?:pt|st|ct|sa|scim|audit)\\.[A-Za-z0-9_.-]{40,64}', 'dp.pt./dp.st./… + 43', `${GL} doppler-api-token; ${GH}`),
  token('databricks_token', ['dapi'], 'dapi[a-f0-9]{32}(?:-[0-9])?', 'dapi + 32 hex', `${GL} databricks-api-token; ${GH}`),
  token('planetscale_token', ['pscale_tkn_', 'pscale_oauth_', 'pscale_pw_'], 'pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.-]{32,64}', 'pscale_tkn_/pscale_pw_/pscale_oauth_ + 32-64', `${GL} planetscale-*; ${GH}`),
  token('neon_api_key', ['napi_'], 'napi_[a-z0-9]{64}', 'napi_ + 64', 'Neon API docs'),
  token('supabase_token', ['sbp_', 'sb_secret_'], '(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{20,64})', 'sbp_ + 40 hex; sb_secret_ + key', `${GH} (Supabase)`),
  token('netlify_token', ['nfp_'], 'nfp_[A-Za-z0-9]{36,40}', 'nfp_ + 36', 'Netlify docs'),
  token('render_api_key', ['rnd_'], 'rnd_[A-Za-z0-9]{32}', 'rnd_ + 32', 'Render docs'),
  token('cloudflare_origin_ca_key', ['v1.0-'], 'v1\\.0-[a-f0-9]{24}-[a-f0-9]{146}', 'v1.0- + 24 hex - 146 hex', `${GL} cloudflare-origin-ca-key`),
  token('openshift_token', ['sha256~'], 'sha256~[A-Za-z0-9_-]{43}', 'sha256~ + 43', `${GL} openshift-user-token`),
  token('scalingo_token', ['tk-us-'], 'tk-us-[A-Za-z0-9_-]{48}', 'tk-us- + 48', `${GL} scalingo-api-token`),
  token('defined_networking_token', ['dnkey-'], 'dnkey-[A-Za-z0-9=_-]{26}-[A-Za-z0-9=_-]{52}', 'dnkey- + 26 - 52', `${GL} defined-networking-api-token`),
  token('yandex_api_key', ['aqvn'], 'AQVN[A-Za-z0-9_-]{35,38}', 'AQVN + 35-38', `${GL} yandex-api-key`),
  token('yandex_iam_token', ['t1.'], 't1\\.[A-Za-z0-9_-]+={0,2}\\.[A-Za-z0-9_-]{86}={0,2}', 't1. + base64url . 86', `${GL} yandex-access-token`),
  token('settlemint_token', ['sm_aat_', 'sm_pat_', 'sm_sat_'], 'sm_(?:aat|pat|sat)_[A-Za-z0-9]{16}', 'sm_pat_/sm_aat_/sm_sat_ + 16', `${GL} settlemint-*`),
  token('authress_key', ['sc_', 'ext_', 'scauth_', 'authress_'], '(?:sc|ext|scauth|authress)_[A-Za-z0-9]{5,30}\\.[A-Za-z0-9]{4,6}\\.acc[_-][A-Za-z0-9-]{10,32}\\.[A-Za-z0-9+/_=-]{30,120}', 'sc_… . … .acc_… . …', `${GL} authress-service-client-access-key`),
  token('one_password_secret_key', ['a3-'], 'A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}', 'A3-XXXXXX-XXXXXXXXXXX-XXXXX-XXXXX-XXXXX', `${GL} 1password-secret-key`),
  token('one_password_service_token', ['ops_eyj'], 'ops_eyJ[A-Za-z0-9+/]{100,}={0,3}', 'ops_eyJ + base64 JSON', `${GL} 1password-service-account-token; ${GH}`),
  token('age_secret_key', ['age-secret-key-1'], 'AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}', 'AGE-SECRET-KEY-1 + 58 bech32', `${GL} age-secret-key`),

  // --- observability --------------------------------------------------------------------------
  token('grafana_cloud_token', ['glc_'], 'glc_[A-Za-z0-9+/]{32,400}={0,3}', 'glc_ + base64', `${GL} grafana-cloud-api-token; ${GH}`),
  token('grafana_service_account_token', ['glsa_'], 'glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}', 'glsa_ + 32 + _ + 8 hex', `${GL} grafana-service-account-token; ${GH}`),
  token('grafana_api_key', ['eyjrijoi'], 'eyJrIjoi[A-Za-z0-9]{70,400}={0,3}', 'eyJrIjoi + base64', `${GL} grafana-api-key`),
  token('new_relic_key', ['nrak-', 'nrii-', 'nrjs-'], '(?:NRAK-[A-Z0-9]{27}|NRII-[A-Za-z0-9-]{32}|NRJS-[a-f0-9]{19})', 'NRAK- + 27 / NRII- + 32 / NRJS- + 19', `${GL} new-relic-*; ${GH}`),
  token('sentry_token', ['sntrys_', 'sntryu_'], '(?:sntryu_[a-f0-9]{64}|sntrys_eyJ[A-Za-z0-9+/=_]{60,600})', 'sntryu_ + 64 hex; sntrys_ + base64 JSON + _ + 43', `${GL} sentry-*-token; ${GH}`),
  token('dynatrace_token', ['dt0c01.'], 'dt0c01\\.[A-Za-z0-9]{24}\\.[A-Za-z0-9]{64}', 'dt0c01. + 24 . 64', `${GL} dynatrace-api-token; ${GH}`),
  token('maxmind_license_key', ['_mmk'], '[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk', '6 _ 29 _mmk', `${GL} maxmind-license-key`, { lead: [36, 36] }),

  // --- AI providers -----------------------------------------------------------------------------
  token('anthropic_key', ['sk-ant-'], 'sk-ant-[A-Za-z0-9_-]{20,400}', 'sk-ant-api03-/admin01- + 93 + AA', `${GL} anthropic-api-key; ${GH}`),
  token('openai_key', ['sk-'], 'sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{0,400}', 'sk-[proj-|svcacct-|admin-] + base64url, T3BlbkFJ inside', `${GL} openai-api-key; ${GH}`, { validate: (m) => m.length >= 23 && /[0-9]/.test(m) }),
  token('huggingface_token', ['hf_'], 'hf_[A-Za-z0-9]{30,40}', 'hf_ + 34 letters', `${GL} huggingface-access-token; ${GH}`),
  token('huggingface_token', ['api_org_'], 'api_org_[A-Za-z]{34}', 'api_org_ + 34 letters', `${GL} huggingface-organization-api-token`),
  token('replicate_token', ['r8_'], 'r8_[A-Za-z0-9]{37}', 'r8_ + 37', `${GH} (Replicate)`),
  token('groq_api_key', ['gsk_'], 'gsk_[A-Za-z0-9]{52}', 'gsk_ + 52', `${GH} (Groq)`),
  token('perplexity_api_key', ['pplx-'], 'pplx-[A-Za-z0-9]{48}', 'pplx- + 48', `${GL} perplexity-api-key`),
  token('xai_api_key', ['xai-'], 'xai-[A-Za-z0-9]{80}', 'xai- + 80', 'xAI API docs'),
  token('fireworks_api_key', ['fw_'], 'fw_[A-Za-z0-9]{24}', 'fw_ + 24', 'Fireworks AI docs'),
  token('pinecone_api_key', ['pcsk_'], 'pcsk_[A-Za-z0-9]{5,8}_[A-Za-z0-9]{60,70}', 'pcsk_ + id _ + key', `${GH} (Pinecone)`),
  token('langsmith_api_key', ['lsv2_pt_', 'lsv2_sk_'], 'lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}', 'lsv2_pt_/lsv2_sk_ + 32 hex _ 10 hex', `${GH} (LangChain)`),
  token('elevenlabs_api_key', ['sk_'], 'sk_[a-f0-9]{48}', 'sk_ + 48 hex', 'ElevenLabs API docs'),
  token('privateai_api_key', ['privateai', 'private_ai', 'private-ai'], '[a-z0-9]{32}', 'privateai key = 32', `${GL} privateai-api-token`, { kind: 'assigned' }),

  // --- communication ------------------------------------------------------------------------------
  token('slack_token', ['xoxb-', 'xoxa-', 'xoxp-', 'xoxo-', 'xoxr-', 'xoxs-', 'xoxe-', 'xoxe.'], 'xox(?:e\\.xox)?[abposre]-[A-Za-z0-9-]{10,250}', 'xoxb-/xoxp-/xoxa-/xoxe.xoxp- + ids and secret', `${GL} slack-*-token; ${GH}`),
  token('slack_token', ['xapp-'], 'xapp-[0-9]-[A-Za-z0-9-]{10,250}', 'xapp-1- + ids + secret', `${GL} slack-app-token`),
  token('slack_webhook', ['hooks.slack.com'], '(?:https?://)?hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{8,300}', 'hooks.slack.com/services/T…/B…/…', `${GL} slack-webhook-url; ${GH}`, { lead: [0, 8] }),
  token('discord_bot_token', DISCORD_ID_PREFIXES, '[MNO][A-Za-z0-9_-]{23,25}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27,38}', 'base64(user id) . 6 . 27-38', `${GH} (Discord)`, { validate: discordToken }),
  token('discord_webhook', ['discord.com/api/webhooks/', 'discordapp.com/api/webhooks/'], 'discord(?:app)?\\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,68}', 'discord.com/api/webhooks/<id>/<68 token>', 'Discord webhook docs'),
  token('telegram_bot_token', [':aa'], '[0-9]{8,10}:AA[A-Za-z0-9_-]{33}', '8-10 digit bot id : AA + 33', `${GL} telegram-bot-api-token`, { lead: [8, 10] }),
  token('teams_webhook', ['webhook.office.com/webhookb2/'], 'webhook\\.office\\.com/webhookb2/[A-Za-z0-9@/-]{40,300}', 'https://<tenant>.webhook.office.com/webhookb2/…/IncomingWebhook/…', `${GL} microsoft-teams-webhook`),
  token('zapier_webhook', ['hooks.zapier.com/hooks/catch/'], 'hooks\\.zapier\\.com/hooks/catch/[0-9]+/[A-Za-z0-9]+', 'hooks.zapier.com/hooks/catch/<id>/<key>', 'Zapier docs'),
  token('twilio_api_key', ['sk'], 'SK[0-9a-fA-F]{32}(?![A-Za-z0-9])', 'SK + 32 hex', `${GL} twilio-api-key; ${GH}`),
  token('sendgrid_api_key', ['sg.'], 'SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}', 'SG. + 22 . 43', `${GL} sendgrid-api-token; ${GH}`),
  token('brevo_api_key', ['xkeysib-', 'xsmtpsib-'], 'x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}', 'xkeysib- + 64 hex - 16', `${GL} sendinblue-api-token; ${GH}`),
  token('mailgun_api_key', ['key-'], 'key-[a-f0-9]{32}(?![A-Za-z0-9])', 'key- + 32 hex', `${GL} mailgun-private-api-token; ${GH}`),
  token('mailchimp_api_key', ['-us'], '[a-f0-9]{32}-us[0-9]{1,2}(?![A-Za-z0-9])', '32 hex -us<dc>', `${GL} mailchimp-api-key; ${GH}`, { lead: [32, 32] }),
  token('mailtrap_token', ['mailtrap'], '[a-f0-9]{32}', 'mailtrap token = 32 hex', 'Mailtrap docs', { kind: 'assigned' }),

  // --- payments and commerce ----------------------------------------------------------------------
  token('stripe_key', ['sk_live_', 'sk_test_', 'sk_prod_', 'rk_live_', 'rk_test_', 'rk_prod_'], '[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,247}', 'sk_live_/rk_live_/… + 24-99 base62', `${GL} stripe-access-token; ${GH}`),
  token('stripe_key', ['whsec_'], 'whsec_[A-Za-z0-9]{24,247}', 'whsec_ + 32 base62 (webhook secret)', GH),
  token('square_token', ['sq0atp-', 'sq0csp-', 'eaaa'], '(?:sq0(?:atp|csp)-[A-Za-z0-9_-]{22,60}|EAAA[A-Za-z0-9_-]{60})', 'sq0atp-/sq0csp- + 22-43, EAAA + 60', `${GL} square-access-token; ${GH}`),
  token('shopify_token', ['shpat_', 'shpca_', 'shppa_', 'shpss_'], 'shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}', 'shpat_/shpca_/shppa_/shpss_ + 32 hex', `${GL} shopify-*; ${GH}`),
  token('braintree_token', ['access_token$production$', 'access_token$sandbox$'], 'access_token\\$(?:production|sandbox)\\$[0-9a-z]{16}\\$[0-9a-f]{32}', 'access_token$production$<16>$<32 hex>', `${GH} (PayPal Braintree)`),
  token('shippo_token', ['shippo_live_', 'shippo_test_'], 'shippo_(?:live|test)_[a-fA-F0-9]{40}', 'shippo_live_ + 40 hex', `${GL} shippo-api-token`),
  token('easypost_api_key', ['ezak', 'eztk'], 'EZ[AT]K[A-Za-z0-9]{54}', 'EZAK/EZTK + 54', `${GL} easypost-api-token`),
  token('duffel_token', ['duffel_live_', 'duffel_test_'], 'duffel_(?:live|test)_[A-Za-z0-9_=-]{43}', 'duffel_live_ + 43', `${GL} duffel-api-token`),
  token('flutterwave_key', ['flwseck_', 'flwseck-', 'flwpubk_', 'flwpubk-'], 'FLW(?:SECK|PUBK)[_-](?:TEST-)?[a-hA-H0-9]{12,32}(?:-X)?', 'FLWSECK_TEST- + 32 hex -X', `${GL} flutterwave-*`),
  token('razorpay_key', ['rzp_live_', 'rzp_test_'], 'rzp_(?:live|test)_[A-Za-z0-9]{14}', 'rzp_live_ + 14', 'Razorpay docs'),
  token('coinbase_key', ['organizations/'], 'organizations/[a-f0-9-]{36}/apiKeys/[a-f0-9-]{36}', 'organizations/<uuid>/apiKeys/<uuid>', 'Coinbase CDP docs'),
  token('lob_api_key', ['live_', 'test_'], '(?:live|test)_(?:pub_)?[a-f0-9]{31,35}(?![A-Za-z0-9])', 'live_/test_ [pub_] + 35 hex', `${GL} lob-api-key`),
  token('plaid_access_token', ['access-production-', 'access-development-', 'access-sandbox-'], `access-(?:sandbox|development|production)-${UUID}`, 'access-production- + UUID', `${GL} plaid-api-token`),
  token('facebook_access_token', ['eaac', 'eaam', 'eaag'], 'EAA[CGM][A-Za-z0-9]{60,}', 'EAAC/EAAG/EAAM + 100+', `${GL} facebook-page-access-token`),
  token('twitter_bearer_token', ['aaaaaaaaaaaaaaaaaaaaa'], 'A{22}[A-Za-z0-9%]{80,120}', '22 A + 80-100', `${GL} twitter-bearer-token`),
  token('mapbox_secret_token', ['sk.eyj'], 'sk\\.eyJ[A-Za-z0-9_-]{20,300}\\.[A-Za-z0-9_-]{20,64}', 'sk.eyJ… . …', `${GH} (Mapbox)`),
  token('dropbox_token', ['sl.'], 'sl\\.[A-Za-z0-9_=-]{130,1400}', 'sl. + 135+ (short-lived)', `${GL} dropbox-short-lived-api-token; ${GH}`),
  token('salesforce_access_token', ['00d'], '00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{80,120}', '00D<org id>!<token>', `${GH} (Salesforce)`),
  token('klaviyo_private_key', ['pk_'], 'pk_[a-f0-9]{34}(?![A-Za-z0-9])', 'pk_ + 34 hex', `${GH} (Klaviyo)`),
  token('beamer_token', ['b_'], 'b_[A-Za-z0-9=_-]{44}(?![A-Za-z0-9])', 'b_ + 44', `${GL} beamer-api-token`),
  token('intra42_secret', ['s-s4t2ud-', 's-s4t2af-'], 's-s4t2(?:ud|af)-[a-f0-9]{64}', 's-s4t2ud- + 64 hex', `${GL} intra42-client-secret`),
  token('adobe_client_secret', ['p8e-'], 'p8e-[A-Za-z0-9]{32}', 'p8e- + 32', `${GL} adobe-client-secret`),
  token('clickhouse_cloud_key', ['4b1d'], '4b1d[A-Za-z0-9]{38}', '4b1d + 38', `${GL} clickhouse-cloud-api-secret-key`),

  // --- encoded key material ---------------------------------------------------------------------
  token('pem_private_key', ['ls0tls1crudjti'], 'LS0tLS1CRUdJTi[A-Za-z0-9+/]{20,}={0,2}', 'base64 of a PEM block (kubeconfig client-key-data, Kubernetes tls.key)', 'Kubernetes Secret / kubeconfig docs', { validate: base64Pem }),

  // --- keyword + assignment (gitleaks' "<provider> … = <value>" rules) -------------------------
  assigned('adafruit_api_key', ['adafruit'], '[a-z0-9_-]{32}', 'adafruit…= 32', `${GL} adafruit-api-key`, { flags: 'i' }),
  assigned('adobe_client_id', ['adobe'], '[a-f0-9]{32}', 'adobe…= 32 hex', `${GL} adobe-client-id`, { flags: 'i' }),
  assigned('airtable_api_key', ['airtable'], '[a-z0-9]{17}', 'airtable…= 17', `${GL} airtable-api-key`, { flags: 'i' }),
  assigned('algolia_api_key', ['algolia'], '[a-z0-9]{32}', 'algolia…= 32', `${GL} algolia-api-key`, { flags: 'i' }),
  assigned('alibaba_secret_key', ['alibaba'], '[a-z0-9]{30}', 'alibaba…= 30', `${GL} alibaba-secret-key`, { flags: 'i' }),
  assigned('asana_secret', ['asana'], '[a-z0-9]{32}|[0-9]{16}', 'asana…= 32 / 16 digits', `${GL} asana-client-*`, { flags: 'i' }),
  assigned('atlassian_api_token', ['atlassian', 'confluence', 'jira'], '[a-z0-9]{20}[a-f0-9]{4}', 'jira/confluence…= 24', `${GL} atlassian-api-token`, { flags: 'i' }),
  assigned('bitbucket_secret', ['bitbucket'], '[a-z0-9=_-]{64}|[a-z0-9]{32}', 'bitbucket…= 32 / 64', `${GL} bitbucket-client-*`, { flags: 'i' }),
  assigned('bittrex_key', ['bittrex'], '[a-z0-9]{32}', 'bittrex…= 32', `${GL} bittrex-*`, { flags: 'i' }),
  assigned('meraki_api_key', ['meraki'], '[0-9a-f]{40}', 'meraki…= 40 hex', `${GL} cisco-meraki-api-key`),
  assigned('cloudflare_api_key', ['cloudflare'], '[a-z0-9_-]{40}|[a-f0-9]{37}', 'cloudflare…= 40 / 37 hex', `${GL} cloudflare-api-key`, { flags: 'i' }),
  assigned('codecov_token', ['codecov'], `[a-z0-9]{32}|${UUID}`, 'codecov…= 32 / UUID', `${GL} codecov-access-token`, { flags: 'i' }),
  assigned('cohere_api_key', ['cohere', 'co_api_key'], '[A-Za-z0-9]{40}', 'cohere…= 40', `${GL} cohere-api-token`),
  assigned('coinbase_token', ['coinbase'], '[a-z0-9_-]{64}', 'coinbase…= 64', `${GL} coinbase-access-token`, { flags: 'i' }),
  assigned('confluent_key', ['confluent'], '[a-z0-9]{64}|[a-z0-9]{16}', 'confluent…= 16 / 64', `${GL} confluent-*`, { flags: 'i' }),
  assigned('contentful_token', ['contentful'], '[a-z0-9=_-]{43}', 'contentful…= 43', `${GL} contentful-delivery-api-token`, { flags: 'i' }),
  assigned('datadog_api_key', ['datadog', 'dd_api_key', 'dd_app_key', 'dd-api-key', 'dd-application-key'], '[a-z0-9]{40}|[a-f0-9]{32}', 'datadog…= 32 hex / 40', `${GL} datadog-access-token; ${GH}`, { flags: 'i' }),
  assigned('discord_secret', ['discord'], '[a-f0-9]{64}|[0-9]{18}|[a-z0-9=_-]{32}', 'discord…= 64 hex / 32', `${GL} discord-*`, { flags: 'i' }),
  assigned('droneci_token', ['droneci', 'drone_token'], '[a-z0-9]{32}', 'droneci…= 32', `${GL} droneci-access-token`, { flags: 'i' }),
  assigned('dropbox_token', ['dropbox'], '[a-z0-9]{11}AAAAAAAAAA[a-z0-9_=-]{43}|[a-z0-9]{15}', 'dropbox…= 11 + AAAAAAAAAA + 43 / 15', `${GL} dropbox-*`, { flags: 'i' }),
  assigned('etsy_token', ['etsy'], '[a-z0-9]{24}', 'etsy…= 24', `${GL} etsy-access-token`, { flags: 'i' }),
  assigned('facebook_secret', ['facebook', 'fb_app_secret'], '[a-f0-9]{32}', 'facebook…= 32 hex', `${GL} facebook-secret`, { flags: 'i' }),
  assigned('fastly_api_token', ['fastly'], '[a-z0-9=_-]{32}', 'fastly…= 32', `${GL} fastly-api-token`, { flags: 'i' }),
  assigned('finicity_secret', ['finicity'], '[a-f0-9]{32}|[a-z0-9]{20}', 'finicity…= 32 hex / 20', `${GL} finicity-*`, { flags: 'i' }),
  assigned('finnhub_token', ['finnhub'], '[a-z0-9]{20}', 'finnhub…= 20', `${GL} finnhub-access-token`, { flags: 'i' }),
  assigned('flickr_token', ['flickr'], '[a-z0-9]{32}', 'flickr…= 32', `${GL} flickr-access-token`, { flags: 'i' }),
  assigned('freshbooks_token', ['freshbooks'], '[a-z0-9]{64}', 'freshbooks…= 64', `${GL} freshbooks-access-token`, { flags: 'i' }),
  assigned('gitter_token', ['gitter'], '[a-z0-9_-]{40}', 'gitter…= 40', `${GL} gitter-access-token`, { flags: 'i' }),
  assigned('gocardless_token', ['gocardless'], 'live_[a-z0-9_=-]{40}', 'gocardless…= live_ + 40', `${GL} gocardless-api-token`, { flags: 'i' }),
  assigned('heroku_api_key', ['heroku'], UUID, 'heroku…= UUID', `${GL} heroku-api-key`),
  assigned('hubspot_api_key', ['hubspot'], UUID, 'hubspot…= UUID', `${GL} hubspot-api-key`),
  assigned('intercom_token', ['intercom'], '[a-z0-9=_-]{60}', 'intercom…= 60', `${GL} intercom-api-key`, { flags: 'i' }),
  assigned('jfrog_api_key', ['jfrog', 'artifactory', 'bintray', 'xray'], '[a-z0-9]{73}|[a-z0-9]{64}', 'jfrog…= 64 / 73', `${GL} jfrog-*`, { flags: 'i' }),
  assigned('kraken_token', ['kraken'], '[a-z0-9/=_+-]{80,90}', 'kraken…= 80-90', `${GL} kraken-access-token`, { flags: 'i' }),
  assigned('kucoin_key', ['kucoin'], `${UUID}|[a-f0-9]{24}`, 'kucoin…= 24 hex / UUID', `${GL} kucoin-*`, { flags: 'i' }),
  assigned('launchdarkly_token', ['launchdarkly'], '[a-z0-9=_-]{40}', 'launchdarkly…= 40', `${GL} launchdarkly-access-token`, { flags: 'i' }),
  assigned('linear_client_secret', ['linear'], '[a-f0-9]{32}', 'linear…= 32 hex', `${GL} linear-client-secret`, { flags: 'i' }),
  assigned('linkedin_secret', ['linkedin', 'linked_in', 'linked-in'], '[a-z0-9]{16}|[a-z0-9]{14}', 'linkedin…= 14 / 16', `${GL} linkedin-client-*`, { flags: 'i' }),
  assigned('mailgun_key', ['mailgun'], 'pubkey-[a-f0-9]{32}|[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}', 'mailgun…= pubkey- + 32 hex / signing key', `${GL} mailgun-*`, { flags: 'i' }),
  assigned('mapbox_token', ['mapbox'], 'pk\\.[a-z0-9]{60}\\.[a-z0-9]{22}', 'mapbox…= pk. + 60 . 22', `${GL} mapbox-api-token`, { flags: 'i' }),
  assigned('mattermost_token', ['mattermost'], '[a-z0-9]{26}', 'mattermost…= 26', `${GL} mattermost-access-token`, { flags: 'i' }),
  assigned('messagebird_token', ['messagebird', 'message-bird', 'message_bird'], `[a-z0-9]{25}|${UUID}`, 'messagebird…= 25 / UUID', `${GL} messagebird-*`, { flags: 'i' }),
  assigned('netlify_token', ['netlify'], '[a-z0-9=_-]{40,46}', 'netlify…= 40-46', `${GL} netlify-access-token`, { flags: 'i' }),
  assigned('new_relic_user_api_id', ['new-relic', 'newrelic', 'new_relic'], '[a-z0-9]{64}', 'newrelic…= 64', `${GL} new-relic-user-api-id`, { flags: 'i' }),
  assigned('nytimes_token', ['nytimes', 'new-york-times', 'newyorktimes'], '[a-z0-9=_-]{32}', 'nytimes…= 32', `${GL} nytimes-access-token`, { flags: 'i' }),
  assigned('okta_token', ['okta'], '00[A-Za-z0-9=_-]{40}', 'okta…= 00 + 40 (SSWS token)', `${GL} okta-access-token`),
  assigned('plaid_secret', ['plaid'], '[a-z0-9]{30}|[a-z0-9]{24}', 'plaid…= 24 / 30', `${GL} plaid-*`, { flags: 'i' }),
  assigned('rapidapi_key', ['rapidapi'], '[a-z0-9_-]{50}', 'rapidapi…= 50', `${GL} rapidapi-access-token`, { flags: 'i' }),
  assigned('sendbird_token', ['sendbird'], `[a-f0-9]{40}|${UUID}`, 'sendbird…= 40 hex / UUID', `${GL} sendbird-*`, { flags: 'i' }),
  assigned('sentry_token', ['sentry'], '[a-f0-9]{64}', 'sentry…= 64 hex', `${GL} sentry-access-token`, { flags: 'i' }),
  assigned('sidekiq_secret', ['bundle_enterprise__contribsys__com', 'bundle_gems__contribsys__com'], '[a-f0-9]{8}:[a-f0-9]{8}', 'BUNDLE_GEMS__CONTRIBSYS__COM= 8 hex : 8 hex', `${GL} sidekiq-secret`, { flags: 'i' }),
  assigned('snyk_token', ['snyk'], UUID, 'snyk…token= UUID', `${GL} snyk-api-token`, { flags: 'i' }),
  assigned('sonar_token', ['sonar'], '[a-z0-9=_-]{40}', 'sonar…token= 40', `${GL} sonar-api-token`, { flags: 'i' }),
  assigned('squarespace_token', ['squarespace'], UUID, 'squarespace…= UUID', `${GL} squarespace-access-token`, { flags: 'i' }),
  assigned('sumologic_key', ['sumo'], 'su[A-Za-z0-9]{12}|[A-Za-z0-9]{64}', 'sumo…= su + 12 / 64', `${GL} sumologic-*`),
  assigned('travisci_token', ['travis'], '[a-z0-9]{22}', 'travis…= 22', `${GL} travisci-access-token`, { flags: 'i' }),
  assigned('twilio_auth_token', ['twilio'], '[a-f0-9]{32}', 'twilio…auth_token= 32 hex', `${GH} (Twilio)`, { flags: 'i' }),
  assigned('twitch_token', ['twitch'], '[a-z0-9]{30}', 'twitch…= 30', `${GL} twitch-api-token`, { flags: 'i' }),
  assigned('twitter_secret', ['twitter'], '[0-9]{15,25}-[A-Za-z0-9]{20,40}|[a-z0-9]{50}|[a-z0-9]{45}|[a-z0-9]{25}', 'twitter…= 25 / 45 / 50 / id-40', `${GL} twitter-*`, { flags: 'i' }),
  assigned('yandex_key', ['yandex'], 'YC[A-Za-z0-9_-]{38}', 'yandex…= YC + 38', `${GL} yandex-aws-access-token`),
  assigned('zendesk_secret_key', ['zendesk'], '[a-z0-9]{40}', 'zendesk…= 40', `${GL} zendesk-secret-key`, { flags: 'i' }),
  assigned('azure_openai_key', ['azure_openai', 'azure-openai', 'azureopenai'], '[a-f0-9]{32}', 'AZURE_OPENAI_API_KEY= 32 hex', `${GH} (Azure OpenAI)`, { flags: 'i' }),
  assigned('azure_devops_pat', ['azure_devops', 'azure-devops', 'ado_pat', 'azdo'], '[a-z2-7]{52}|[A-Za-z0-9]{84}', 'AZURE_DEVOPS_PAT= 52 base32 / 84', `${GH} (Azure DevOps)`),
  assigned('azure_search_key', ['search_admin_key', 'search-admin-key', 'azure_search'], '[A-Za-z0-9]{52}|[a-f0-9]{32}', 'AZURE_SEARCH_ADMIN_KEY= 52 / 32 hex', `${GH} (Azure AI Search)`, { flags: 'i' }),
  assigned('mistral_api_key', ['mistral'], '[A-Za-z0-9]{32}', 'MISTRAL_API_KEY= 32', 'Mistral docs'),
  assigned('together_api_key', ['together'], '[a-f0-9]{64}', 'TOGETHER_API_KEY= 64 hex', 'Together AI docs'),
  assigned('linode_token', ['linode'], '[a-f0-9]{64}', 'LINODE_TOKEN= 64 hex', 'Linode docs'),
  assigned('vonage_api_secret', ['vonage', 'nexmo'], '[A-Za-z0-9]{16}', 'VONAGE_API_SECRET= 16', 'Vonage docs'),
  assigned('plivo_auth_token', ['plivo'], '[A-Za-z0-9]{40}', 'PLIVO_AUTH_TOKEN= 40', 'Plivo docs'),
  assigned('postmark_token', ['postmark'], UUID, 'POSTMARK_SERVER_TOKEN= UUID', 'Postmark docs', { flags: 'i' }),
  assigned('mailjet_key', ['mailjet'], '[a-f0-9]{32}', 'MAILJET_API_SECRET= 32 hex', 'Mailjet docs', { flags: 'i' }),
  assigned('trello_token', ['trello'], '[a-f0-9]{32}|ATTA[A-Za-z0-9]{60,72}', 'TRELLO_TOKEN= ATTA + 64 / 32 hex', 'Trello docs', { flags: 'i' }),
  assigned('spotify_secret', ['spotify'], '[a-f0-9]{32}', 'SPOTIFY_CLIENT_SECRET= 32 hex', 'Spotify docs', { flags: 'i' }),
  assigned('box_token', ['box_'], '[A-Za-z0-9]{32}', 'BOX_DEVELOPER_TOKEN= 32', 'Box docs', { flags: 'i' }),
  assigned('webflow_token', ['webflow'], '[a-f0-9]{64}', 'WEBFLOW_TOKEN= 64 hex', 'Webflow docs', { flags: 'i' }),
  assigned('mongodb_atlas_key', ['atlas_private_key', 'mongodb_atlas'], UUID, 'MONGODB_ATLAS_PRIVATE_KEY= UUID', `${GH} (MongoDB)`, { flags: 'i' }),
  assigned('upstash_token', ['upstash'], '[A-Za-z0-9_=-]{40,128}', 'UPSTASH_REDIS_REST_TOKEN= base64url', 'Upstash docs'),
  assigned('ibm_cloud_api_key', ['ibm_cloud', 'ibmcloud', 'ibm-cloud'], '[A-Za-z0-9_-]{44}', 'IBMCLOUD_API_KEY= 44', `${GH} (IBM)`, { flags: 'i' }),
  assigned('consul_token', ['consul'], UUID, 'CONSUL_HTTP_TOKEN= UUID', 'HashiCorp Consul docs', { flags: 'i' }),
  assigned('nomad_token', ['nomad'], UUID, 'NOMAD_TOKEN= UUID', 'HashiCorp Nomad docs', { flags: 'i' }),
  assigned('railway_token', ['railway'], UUID, 'RAILWAY_TOKEN= UUID', 'Railway docs', { flags: 'i' }),
  assigned('bitwarden_secret', ['bitwarden', 'bws_access_token'], '0\\.[a-f0-9-]{36}\\.[A-Za-z0-9:+/=]{40,200}', 'BWS_ACCESS_TOKEN= 0.<uuid>.<secret>', 'Bitwarden Secrets Manager docs', { flags: 'i' }),
  assigned('vault_legacy_token', ['vault'], 's\\.[A-Za-z0-9]{24}', 'VAULT_TOKEN= s. + 24', `${GL} vault-service-token`),
];

/** base64 of `-----BEGIN … PRIVATE KEY-----` (certificates and public keys are not secrets). */
function base64Pem(match: string): boolean {
  const head = Buffer.from(match.slice(0, 96), 'base64').toString('latin1');
  return head.includes('PRIVATE KEY');
}

/** Discord bot tokens start with the base64 of a numeric user id. */
function discordToken(match: string): boolean {
  const id = match.slice(0, match.indexOf('.'));
  try {
    return /^[0-9]{17,20}$/.test(Buffer.from(id, 'base64').toString('latin1'));
  } catch {
    return false;
  }
}

/** Every provider rule type, deduplicated, in table order. */
export const PROVIDER_RULE_TYPES: readonly string[] = Object.freeze([...new Set(PROVIDER_RULES.map((r) => r.type))]);
