// Drives jsforce, an off-the-shelf Salesforce client, against the simulator
// unchanged, and prints what it saw as one JSON object. compat_test.go runs
// it and checks the answers against the simulator's state.
import jsforce from 'jsforce';

const env = process.env;
const out = { refreshes: 0 };

const conn = new jsforce.Connection({
  oauth2: {
    loginUrl: env.SF_LOGIN_URL,
    clientId: env.SF_CLIENT_ID,
    clientSecret: env.SF_CLIENT_SECRET,
    redirectUri: 'http://localhost:1717/callback',
  },
  // A stored connection: the instance URL, a refresh token and a stale
  // access token. The first call gets 401 and jsforce refreshes.
  instanceUrl: env.SF_INSTANCE_URL,
  accessToken: '00D000000000001!stale',
  refreshToken: env.SF_REFRESH_TOKEN,
  version: '62.0',
});
conn.on('refresh', () => { out.refreshes++; });

async function main() {
  const id = await conn.identity();
  out.username = id.username;
  out.organizationId = id.organization_id;

  // Query with paging: 200-record pages, following nextRecordsUrl.
  let pages = 0;
  const q = conn.query('SELECT Id, LastName, Email FROM Contact ORDER BY Id', {
    autoFetch: true,
    maxFetch: 1000000,
    headers: { 'Sforce-Query-Options': 'batchSize=200' },
  });
  q.on('fetch', () => { pages++; });
  const res = await q;
  out.totalSize = res.totalSize;
  out.fetched = res.records.length;
  out.pages = pages;
  out.firstId = res.records[0]?.Id;
  out.sorted = res.records.every((r, i, a) => i === 0 || a[i - 1].Id < r.Id);

  // Create, update, read back, delete one record.
  const created = await conn.sobject('Contact').create({ LastName: 'Compat', Email: 'compat@example.com' });
  out.created = created;
  const updated = await conn.sobject('Contact').update({ Id: created.id, Title: 'Updated by jsforce' });
  out.updated = updated;
  const rec = await conn.sobject('Contact').retrieve(created.id);
  out.retrievedTitle = rec.Title;

  // sObject Collections with a partial failure.
  const many = await conn.sobject('Contact').create(
    [
      { LastName: 'Many 1', Email: 'many1@example.com' },
      { LastName: 'Many 2', Email: 'not an email' },
      { LastName: 'Many 3' },
    ],
    { allOrNone: false },
  );
  out.many = many;

  const destroyed = await conn.sobject('Contact').destroy(created.id);
  out.destroyed = destroyed;
  try {
    await conn.sobject('Contact').retrieve(created.id);
    out.afterDelete = 'found';
  } catch (err) {
    out.afterDelete = err.errorCode || err.name;
  }

  const limits = await conn.limits();
  out.dailyMax = limits.DailyApiRequests.Max;
}

main()
  .then(() => { process.stdout.write(JSON.stringify(out) + '\n'); })
  .catch((err) => {
    process.stderr.write(`jsforce failed: ${err.name} ${err.errorCode ?? ''} ${err.message}\n${err.stack}\n`);
    process.exit(1);
  });
